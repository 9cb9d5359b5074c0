import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/common/errors.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { defaultSocketDir } from '../../lib/node/socket-path.js';
import { quiet } from '../support/deferred.js';

const PYTHON_PATH = fileURLToPath(new URL('../../helpers/python', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

/** What the Python client says about connecting to `domain` with this XDG_RUNTIME_DIR: "ok", or the error code. */
async function pythonConnect(runtimeDir: string): Promise<string> {
  const script = `
from ipcio import Client, IpcError
try:
    Client(name="probe", domain="d", reconnect=False).connect(timeout=2)
    print("ok")
except IpcError as exc:
    print(exc.code)
`;
  // Not spawnSync: the server under test runs in this process and must keep answering.
  const child = spawn('python3', ['-c', script], { env: { ...process.env, PYTHONPATH: PYTHON_PATH, XDG_RUNTIME_DIR: runtimeDir } });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.on('close', resolve));
  return out.trim();
}

describe('the socket directory parent (issue 11, item 9: parent check, relative XDG_RUNTIME_DIR)', () => {
  let base: string;
  let savedXdg: string | undefined;

  beforeEach(() => {
    base = mkdtempSync('/tmp/ipcio-p-');
    savedXdg = process.env.XDG_RUNTIME_DIR;
  });
  afterEach(() => {
    if (savedXdg === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedXdg;
    rmSync(base, { recursive: true, force: true });
  });

  it('refuses a parent others can write without the sticky bit: server, Node client and Python client (UNSAFE_SOCKET_DIR)', async () => {
    const runtimeDir = join(base, 'run');
    mkdirSync(join(runtimeDir, 'ipcio'), { recursive: true, mode: 0o700 });
    chmodSync(join(runtimeDir, 'ipcio'), 0o700);
    chmodSync(runtimeDir, 0o777);
    process.env.XDG_RUNTIME_DIR = runtimeDir;
    const server = new IpcServer({ domain: 'd', logger: quiet }).start();
    await expect(server.ready).rejects.toMatchObject({ code: ErrorCode.UNSAFE_SOCKET_DIR, message: expect.stringContaining('no sticky bit') });
    await server.close();
    const client = new IpcClient({ domain: 'd', logger: quiet, reconnect: false });
    await expect(client.connect().ready).rejects.toMatchObject({ code: ErrorCode.UNSAFE_SOCKET_DIR });
    await client.close();
    if (hasPython) expect(await pythonConnect(runtimeDir)).toBe('UNSAFE_SOCKET_DIR');
    else console.log('socket-parent: python3 missing, the Python client was not checked');
  });

  it('accepts a sticky world-writable parent (like /tmp): server and both clients connect', async () => {
    const runtimeDir = join(base, 'sticky');
    mkdirSync(runtimeDir);
    chmodSync(runtimeDir, 0o1777);
    process.env.XDG_RUNTIME_DIR = runtimeDir;
    const server = new IpcServer({ domain: 'd', logger: quiet }).start();
    await server.ready;
    try {
      const client = new IpcClient({ domain: 'd', logger: quiet, reconnect: false });
      await client.connect().ready;
      await client.close();
      if (hasPython) expect(await pythonConnect(runtimeDir)).toBe('ok');
    } finally {
      await server.close();
    }
  });

  it('ignores a relative XDG_RUNTIME_DIR, as the XDG spec says (Node and Python agree on the fallback)', () => {
    const fallback = join(tmpdir(), `ipcio-${process.getuid?.()}`);
    expect(defaultSocketDir({ XDG_RUNTIME_DIR: 'relative/run' })).toBe(fallback);
    expect(defaultSocketDir({ XDG_RUNTIME_DIR: '/abs/run' })).toBe('/abs/run/ipcio');
    if (!hasPython) return;
    const run = spawnSync('python3', ['-c', 'from ipcio.paths import socket_dir; print(socket_dir())'], {
      env: { ...process.env, PYTHONPATH: PYTHON_PATH, XDG_RUNTIME_DIR: 'relative/run' },
      encoding: 'utf8',
    });
    expect(run.stdout.trim()).toBe(fallback);
  });
});
