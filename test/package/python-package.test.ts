import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks } from '../docs/code-blocks.js';
import { REPO } from './packed.js';

const run = promisify(execFile);
const PYTHON_README = join(REPO, 'helpers/python/README.md');

/**
 * Installs helpers/python into a fresh venv. Offline and without build isolation when the venv's
 * own setuptools can build a wheel (setuptools 70.1+, or the wheel package beside it); else pip
 * builds in isolation with the index pip is configured with (here a local mirror), as a user's pip would.
 */
async function pipInstall(venv: string, source: string): Promise<string> {
  const pip = join(venv, 'bin/pip');
  try {
    await run(pip, ['install', '--no-index', '--no-build-isolation', source]);
    return 'offline, no build isolation';
  } catch (offline) {
    await run(pip, ['install', source], { maxBuffer: 16 * 1024 * 1024 }).catch((error: Error) => {
      throw new Error(`pip install failed offline (${(offline as Error).message}) and with its configured index (${error.message})`);
    });
    return 'with build isolation (the venv cannot build a wheel offline)';
  }
}

describe('the Python client as a package', () => {
  let dir: string;
  let stopServer: (() => Promise<void>) | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ipcio-py-'));
  });
  afterAll(async () => {
    await stopServer?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pip installs into a venv, and its README example runs as written against ipcio serve', async () => {
    const venv = join(dir, 'venv');
    await run('python3', ['-m', 'venv', venv]);
    // A copy: setuptools leaves build/ and *.egg-info beside the sources it builds.
    const source = join(dir, 'python-client');
    cpSync(join(REPO, 'helpers/python'), source, { recursive: true, filter: (path) => !path.includes('__pycache__') });
    const how = await pipInstall(venv, source);
    console.log(`helpers/python installed ${how}`);

    const socketPath = join(dir, 's.sock');
    const server = spawn(process.execPath, [join(REPO, 'dist/cli/main.js'), 'serve', '--socket', socketPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    stopServer = () => new Promise<void>((resolve) => {
      if (server.exitCode !== null) return resolve();
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    });
    await new Promise<void>((resolve, reject) => {
      let stderr = '';
      server.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        if (stderr.includes('listening on')) resolve();
      });
      server.once('exit', (code) => reject(new Error(`ipcio serve exited ${code}: ${stderr}`)));
    });

    const blocks = codeBlocks(readFileSync(PYTHON_README, 'utf8'));
    const example = blocks.find((block) => block.language === 'python');
    const output = blocks.find((block) => block.language === 'text');
    if (!example || !output) throw new Error('helpers/python/README.md lost its example or its expected output');
    const script = join(dir, 'hasher.py');
    writeFileSync(script, example.code);
    // Run from the temp dir, so the installed package is imported, not the source folder.
    const { stdout } = await run(join(venv, 'bin/python'), [script], { cwd: dir, env: { ...process.env, IPCIO_SOCKET: socketPath, PYTHONPATH: '' } });
    expect(stdout).toBe(output.code);
    const imported = await run(join(venv, 'bin/python'), ['-c', 'import ipcio; print(ipcio.__file__)'], { cwd: dir });
    expect(imported.stdout).toContain(join(venv, 'lib'));
  }, 180_000);
});
