// examples/electron-app/src/main/index.ts
import { join } from 'node:path';
import { app as electronApp, BrowserWindow } from 'electron';
import { attachWindow, forkUtility, IpcServer } from 'ipcio/main';
import { app } from '../shared/contract.js';

await electronApp.whenReady();

const server = new IpcServer({ contract: app, domain: 'my-app' }, {
  log: ({ data, client_name }) => console.log(`[${client_name}] ${data}`),
  settings: () => ({ theme: 'dark' as const }),
}).start();
await server.ready;

const win = new BrowserWindow({
  webPreferences: { preload: join(import.meta.dirname, '../preload/index.cjs'), contextIsolation: true, sandbox: true },
});
attachWindow(server, win, {
  name: 'main-window',
  origins: ['file://'],
  allow: { server: ['log', 'settings'], clients: { hasher: ['hash'], thumbnailer: ['thumbnail', 'frames'] }, broadcasts: ['load'] },
});
await win.loadFile(join(import.meta.dirname, '../renderer/index.html'));

forkUtility(server, join(import.meta.dirname, 'thumbnailer.js'), { name: 'thumbnailer', allow: { server: ['log'], clients: { hasher: ['hash'] } } });

// A Node helper runs on Electron's own Node: spawn sets ELECTRON_RUN_AS_NODE for process.execPath.
const helpers = join(electronApp.getAppPath(), 'helpers');
server.spawn(process.execPath, [join(helpers, 'hasher.mjs')], { name: 'hasher', restart: true });
server.spawn('python3', [join(helpers, 'hasher.py')], { name: 'py-hasher', restart: { minMs: 200, maxMs: 10_000 } });

// A peer that has not joined yet answers NO_SUCH_CLIENT; wait for it by name first.
await server.waitForPeer('main-window', { timeoutMs: 10_000 });
console.log(await server.request('main-window', 'selection'));
await server.waitForPeer('py-hasher', { timeoutMs: 10_000 });
console.log(await server.request('py-hasher', 'hash', { path: join(helpers, 'hasher.py') }));
electronApp.on('before-quit', () => void server.close());
