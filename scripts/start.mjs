// `npm start`: build, then run the sidecar console in Electron, or, where no
// Electron binary exists, say so in one line and run browser mode instead.
//
//   --browser    browser mode even where Electron exists
//   --no-build   skip the build (the e2e tests build once, then start this)
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findElectronBinary } from './electron-binary.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
/** How often to look whether whoever started us is gone; a stop this much late is not noticed by a person. */
const PARENT_CHECK_MS = 250;

/**
 * `npm start` runs this through `sh -c`. A SIGINT or SIGTERM sent to npm
 * alone (not to the whole group, as a terminal's Ctrl-C does) is forwarded
 * to that shell, which dies of it without passing it on: this process would
 * be left running, re-parented, with its helpers. So when the parent changes,
 * stop as if signalled ourselves.
 */
function stopWhenOrphaned(stop) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, PARENT_CHECK_MS);
  timer.unref();
}

function run(command, commandArgs) {
  const { status, error } = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (error || status !== 0) {
    console.error(`${command} ${commandArgs.join(' ')} failed${error ? `: ${error.message}` : ` with exit code ${status}`}`);
    process.exit(1);
  }
}

async function startBrowserMode() {
  await import(pathToFileURL(`${root}/out/main/browser-mode.js`).href);
  // Browser mode runs in this process and stops itself, helpers first, on SIGTERM.
  stopWhenOrphaned(() => process.kill(process.pid, 'SIGTERM'));
}

if (!args.has('--no-build')) {
  // The library first: the helpers import ipcio from dist/ like any app's helper would.
  run(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json']);
  run(process.execPath, [`${root}/node_modules/electron-vite/bin/electron-vite.js`, 'build']);
}

const electron = args.has('--browser') ? undefined : findElectronBinary();
if (electron === undefined) {
  await startBrowserMode();
} else if (electron.path === undefined) {
  console.log(`No Electron binary on this machine: ${electron.reason}. Starting browser mode instead.`);
  await startBrowserMode();
} else {
  const child = spawn(electron.path, [`${root}/out/main/index.js`], { cwd: root, stdio: 'inherit' });
  const onExit = (code, signal) => process.exit(code ?? (signal ? 1 : 0));
  child.once('exit', onExit);
  child.once('error', (error) => {
    child.off('exit', onExit);
    console.log(`Electron could not start (${error.message}): starting browser mode instead.`);
    void startBrowserMode();
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  stopWhenOrphaned(() => child.kill('SIGTERM'));
}
