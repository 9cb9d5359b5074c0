import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer, socketPathFor } from '../../lib/node/index.js';
import { PeerProcess } from '../support/peer-process.js';
import { quiet } from '../support/deferred.js';


describe('socket location, ownership and takeover', () => {
  let runtimeDir: string;
  let savedXdg: string | undefined;

  beforeEach(() => {
    runtimeDir = mkdtempSync('/tmp/ipcio-xdg-');
    savedXdg = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = runtimeDir;
  });

  afterEach(() => {
    if (savedXdg === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedXdg;
    rmSync(runtimeDir, { recursive: true, force: true });
  });

  it('creates $XDG_RUNTIME_DIR/ipcio as 0700 and the socket as owner-only, and removes the socket on close', async () => {
    const server = new IpcServer({ domain: 'app.main_1-x', logger: quiet }).start();
    await server.ready;
    expect(server.socketPath).toBe(join(runtimeDir, 'ipcio', 'app.main_1-x.sock'));
    expect(statSync(join(runtimeDir, 'ipcio')).mode & 0o777).toBe(0o700);
    expect(statSync(server.socketPath).mode & 0o777).toBe(0o600);
    const client = new IpcClient({ domain: 'app.main_1-x', name: 'c', logger: quiet }).connect();
    await client.ready;
    await client.close();
    await server.close();
    expect(existsSync(server.socketPath)).toBe(false);
  });

  it('falls back to <tmp>/ipcio-<uid> without XDG_RUNTIME_DIR', () => {
    delete process.env.XDG_RUNTIME_DIR;
    expect(socketPathFor('d')).toMatch(new RegExp(`/ipcio-${process.getuid?.()}/d\\.sock$`));
  });

  it.each([
    ['group/world accessible', (dir: string) => chmodSync(dir, 0o777), 'has mode 777'],
    ['group readable', (dir: string) => chmodSync(dir, 0o750), 'has mode 750'],
    ['owned by another user', (dir: string) => chownSync(dir, 65534, 65534), 'owned by uid 65534'],
  ])('refuses a socket directory that is %s with UNSAFE_SOCKET_DIR', async (_label, spoil, why) => {
    const dir = join(runtimeDir, 'ipcio');
    mkdirSync(dir, { mode: 0o700 });
    spoil(dir);
    const server = new IpcServer({ domain: 'd', logger: quiet }).start();
    await expect(server.ready).rejects.toMatchObject({ code: 'UNSAFE_SOCKET_DIR', message: expect.stringContaining(why) });
    await server.close();
  });

  it('stops a reconnecting client at once on an unsafe directory, with the reason', async () => {
    const dir = join(runtimeDir, 'ipcio');
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o777);
    const client = new IpcClient({ domain: 'd', name: 'careful', logger: quiet, reconnect: { minMs: 10, maxMs: 20 } });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    client.connect();
    await expect(client.ready).rejects.toMatchObject({ code: 'UNSAFE_SOCKET_DIR' });
    expect(errors).toEqual(['UNSAFE_SOCKET_DIR']);
    await client.close();
  });

  it('refuses a socket directory that is a symlink', async () => {
    const elsewhere = join(runtimeDir, 'elsewhere');
    mkdirSync(elsewhere, { mode: 0o700 });
    symlinkSync(elsewhere, join(runtimeDir, 'ipcio'));
    const server = new IpcServer({ domain: 'd', logger: quiet }).start();
    await expect(server.ready).rejects.toMatchObject({ code: 'UNSAFE_SOCKET_DIR', message: expect.stringContaining('symbolic link') });
  });

  it('reports DOMAIN_IN_USE for a live server in another process, and leaves it serving', async () => {
    const livePath = socketPathFor('busy');
    const live = PeerProcess.start({ role: 'server', domain: 'busy' });
    await live.waitFor((e) => e.event === 'ready');
    const errors: string[] = [];
    const second = new IpcServer({ domain: 'busy', logger: quiet });
    second.on('error', (error) => errors.push(error.code));
    second.start();
    await expect(second.ready).rejects.toMatchObject({ code: 'DOMAIN_IN_USE' });
    expect(errors).toEqual(['DOMAIN_IN_USE']);
    const client = new IpcClient({ domain: 'busy', name: 'still-there', logger: quiet }).connect();
    expect(await client.request('double', 2)).toBe(4);
    await client.close();
    await second.close();
    expect(existsSync(livePath)).toBe(true); // closing the failed server did not remove the live one's socket
    await live.stop();
  });

  it('replaces a stale socket file left by a crashed server', async () => {
    const path = socketPathFor('stale');
    const crashed = PeerProcess.start({ role: 'server', domain: 'stale' });
    await crashed.waitFor((e) => e.event === 'ready');
    await crashed.kill('SIGKILL');
    expect(existsSync(path)).toBe(true);
    const server = new IpcServer({ domain: 'stale', logger: quiet }).start();
    await server.ready;
    const client = new IpcClient({ domain: 'stale', name: 'c', logger: quiet }).connect();
    await client.ready;
    await client.close();
    await server.close();
  });

  it('treats any process answering on the socket as live, not only ipcio servers', async () => {
    const path = socketPathFor('foreign');
    mkdirSync(join(runtimeDir, 'ipcio'), { mode: 0o700, recursive: true });
    const foreign = createServer(() => undefined);
    await new Promise<void>((resolve) => foreign.listen(path, resolve));
    const server = new IpcServer({ domain: 'foreign', logger: quiet }).start();
    await expect(server.ready).rejects.toMatchObject({ code: 'DOMAIN_IN_USE' });
    await new Promise<void>((resolve) => foreign.close(() => resolve()));
  });

  it('creates an explicit socketPath owner-only, skipping the directory checks', async () => {
    const shared = mkdtempSync('/tmp/ipcio-open-');
    chmodSync(shared, 0o777);
    const path = join(shared, 'x.sock');
    const server = new IpcServer({ socketPath: path, logger: quiet }).start();
    await server.ready;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await server.close();
    rmSync(shared, { recursive: true, force: true });
  });

  it('fails with SOCKET_PATH_TOO_LONG instead of truncating', () => {
    const long = `/tmp/${'a'.repeat(120)}.sock`;
    expect(() => new IpcServer({ socketPath: long })).toThrow(expect.objectContaining({ code: 'SOCKET_PATH_TOO_LONG' }));
    expect(() => new IpcClient({ socketPath: long })).toThrow(expect.objectContaining({ code: 'SOCKET_PATH_TOO_LONG' }));
    process.env.XDG_RUNTIME_DIR = `/tmp/${'b'.repeat(100)}`;
    expect(() => new IpcServer({ domain: 'd' })).toThrow(expect.objectContaining({ code: 'SOCKET_PATH_TOO_LONG' }));
  });

  it('checks domain names', () => {
    for (const domain of ['../etc', 'a/b', '', 'sp ace', 'x'.repeat(65)]) {
      expect(() => new IpcServer({ domain })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('does not crash the process when nobody awaits a failed start', async () => {
    writeFileSync(join(runtimeDir, 'ipcio'), 'not a directory');
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const server = new IpcServer({ domain: 'd', logger: quiet });
      const failed = new Promise((resolve) => server.on('error', resolve));
      server.start();
      // Nobody awaits `ready` until the failure is out and the event loop has turned once more: an
      // unhandled rejection of it would have been reported by then.
      expect(await failed).toMatchObject({ code: 'UNSAFE_SOCKET_DIR' });
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
      await expect(server.ready).rejects.toMatchObject({ code: 'UNSAFE_SOCKET_DIR' });
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });
});
