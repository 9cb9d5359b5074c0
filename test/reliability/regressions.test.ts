import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_HELLO_FRAME_SIZE } from '../../lib/common/frame-codec.js';
import type { Message } from '../../lib/common/messages.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { headerOnly, RawPeer } from '../support/raw-peer.js';
import { welcomingServer } from '../support/raw-server.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';

const MiB = 1024 * 1024;

/**
 * One test per defect the reliability suites found, named after what it
 * found, small and deterministic so it runs on every `npm test`.
 */
describe('regressions found by the reliability suites', () => {
  let socket: ReturnType<typeof tempSocket>;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(() => {
    socket = tempSocket();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    socket.cleanup();
  });

  /**
   * A server that welcomes, then stops reading and half-closes when told: the
   * client reads EOF and can no longer write, but its backlog keeps the socket
   * from closing, so it still thinks it is online.
   */
  async function halfClosingServer(): Promise<{ half: (request?: Message) => void; close: () => Promise<void> }> {
    const raw = await welcomingServer(socket.socketPath, { pauseAfterWelcome: true });
    return {
      half: (request) => {
        for (const sock of raw.sockets) {
          if (request) raw.write(sock, request);
          sock.end();
        }
      },
      close: raw.close,
    };
  }

  it('kill -9 under load: an emit or request made after the server went away, before the client saw the close, is queued and delivered, not dropped', async () => {
    const raw = await halfClosingServer();
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'c', logger: quiet, reconnect: { minMs: 10, maxMs: 50 } });
    cleanups.push(() => client.close());
    client.connect();
    await client.ready;
    client.emit('fill', new Uint8Array(16 * MiB)); // stays in the socket buffer: the server does not read
    raw.half();
    await until(() => !(client.connection?.port.socket as Socket).writable, 2_000, 'the client to read EOF');
    expect(client.connected).toBe(true); // not closed yet: the window the defect lived in
    client.emit('seq', 1);
    const answer = client.request('double', 21, { timeoutMs: 5_000 }); // it hung for good before the fix
    await raw.close();
    const seen: unknown[] = [];
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }, { seq: ({ data }) => void seen.push(data), double: ({ data }) => (data as number) * 2 });
    cleanups.push(() => server.close());
    server.start();
    expect(await answer).toBe(42);
    await until(() => seen.length === 1, 5_000, 'the emit');
    expect(seen).toEqual([1]);
  });

  it('half-open: a handler that answers on a connection closed under it does not crash the process with an unhandled rejection', async () => {
    const raw = await halfClosingServer();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    cleanups.push(() => void process.off('unhandledRejection', onRejection));
    let answered = false;
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'h', logger: quiet }, {
      slow: () => new Promise((resolve) => setTimeout(() => {
        answered = true;
        resolve('late');
      }, 100)),
    });
    cleanups.push(() => client.close());
    client.connect();
    await client.ready;
    client.emit('fill', new Uint8Array(16 * MiB));
    raw.half({ kind: 'request', id: 1, cmd: 'slow' });
    await until(() => answered, 10_000, 'the handler to answer');
    // The answer went to the half-closed connection; destroying it fails every write left on it. Once the
    // client has seen the disconnect and the event loop has turned once more, a rejection from either
    // would have been reported (Node reports one as soon as the microtasks of its turn have run).
    const disconnected = new Promise<void>((resolve) => void client.on('disconnect', () => resolve()));
    await raw.close();
    await disconnected;
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejections).toEqual([]);
  });

  it('pre-hello memory: a first frame larger than a hello is refused from its header with FRAME_TOO_LARGE, whatever maxFrameSize is', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }); // maxFrameSize: the default 64 MiB
    cleanups.push(() => server.close());
    server.start();
    await server.ready;
    const stranger = await RawPeer.connect(socket.socketPath);
    stranger.writeBytes(headerOnly(MAX_HELLO_FRAME_SIZE + 1, 100));
    expect(await stranger.waitFor('error')).toMatchObject({ error: { code: 'FRAME_TOO_LARGE' }, fatal: true });
    await stranger.waitClosed();
    // Once welcomed, the peer's frames may be as large as maxFrameSize.
    const known = await RawPeer.connect(socket.socketPath);
    known.send({ kind: 'hello', version: 1, name: 'known' });
    await known.waitFor('welcome');
    known.send({ kind: 'request', id: 1, cmd: 'ipcio:discover', data: 'x'.repeat(4 * MiB) });
    expect((await known.waitFor('response')).error).toBeUndefined();
    known.destroy();
  });

  it('fuzz/codec: binary data under a "constructor" key is refused by the sender with INVALID_ARGUMENT, not by the server closing the connection', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }, { double: ({ data }) => (data as number) * 2, save: () => 'saved' });
    cleanups.push(() => server.close());
    const serverErrors: string[] = [];
    server.on('error', (error) => serverErrors.push(error.code));
    server.start();
    await server.ready;
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'c', logger: quiet });
    cleanups.push(() => client.close());
    const clientErrors: string[] = [];
    client.on('error', (error) => clientErrors.push(error.code));
    client.connect();
    await client.ready;
    for (const key of ['constructor', '__proto__', 'prototype']) {
      const data = JSON.parse(`{"${key}": null}`) as Record<string, unknown>;
      Object.defineProperty(data, key, { value: new Uint8Array([1, 2, 3]), enumerable: true });
      await expect(client.request('save', data)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      client.emit('save', data);
    }
    expect(clientErrors).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
    // The connection is intact, and the same bytes under an ordinary key go through.
    expect(client.connected).toBe(true);
    expect(await client.request('double', 2)).toBe(4);
    expect(await client.request('save', { constructorBytes: new Uint8Array([1]) })).toBe('saved');
    expect(serverErrors).toEqual([]);
  });

  it('fuzz/live: a hello announcing a frame limit too small for the welcome is refused with BAD_MESSAGE, not left registered and closed in silence', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet });
    cleanups.push(() => server.close());
    server.start();
    await server.ready;
    for (const maxFrameSize of [0, 1, 100, -1, 1.5]) {
      const peer = await RawPeer.connect(socket.socketPath);
      peer.send({ kind: 'hello', version: 1, name: `tiny-${maxFrameSize}`, maxFrameSize });
      expect(await peer.waitFor('error')).toMatchObject({ error: { code: 'BAD_MESSAGE', message: expect.stringContaining('maxFrameSize') }, fatal: true });
      await peer.waitClosed();
    }
    expect(server.clients()).toEqual([]);
    const fine = await RawPeer.connect(socket.socketPath);
    fine.send({ kind: 'hello', version: 1, name: 'fine', maxFrameSize: 1024 });
    await fine.waitFor('welcome');
    fine.destroy();
  });

  it('fuzz/live: an emit nested 100,000 deep (beyond what the server could re-encode) is refused on arrival with NESTING_TOO_DEEP, and the target never sees it', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet });
    cleanups.push(() => server.close());
    server.start();
    await server.ready;
    const target = new IpcClient({ socketPath: socket.socketPath, name: 'target', logger: quiet }, { deep: () => undefined });
    cleanups.push(() => target.close());
    target.connect();
    await target.ready;
    const sender = await RawPeer.connect(socket.socketPath);
    sender.send({ kind: 'hello', version: 1, name: 'sender' });
    await sender.waitFor('welcome');
    const json = `{"kind":"emit","cmd":"deep","to":"target","data":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const body = new TextEncoder().encode(json);
    sender.writeBytes(headerOnly(4 + body.byteLength, body.byteLength));
    sender.writeBytes(body);
    // Since the nesting limit (issue 11, item 5) the sender broke the protocol: told why, then closed.
    expect(await sender.waitFor('error')).toMatchObject({ fatal: true, error: { code: 'NESTING_TOO_DEEP' } });
    await sender.waitClosed();
    expect(target.connected).toBe(true);
    sender.destroy();
  });

  /** A socket file with nothing behind it, as a server killed with SIGKILL leaves. */
  async function staleSocketAt(path: string): Promise<void> {
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }

  it('security: servers started together on a stale socket: exactly one listens, the others get DOMAIN_IN_USE (none is left on an unlinked path)', async () => {
    await staleSocketAt(socket.socketPath);
    const servers = [0, 1, 2].map(() => new IpcServer({ socketPath: socket.socketPath, logger: quiet }, { who: () => 'answered' }));
    cleanups.push(async () => void (await Promise.all(servers.map((s) => s.close()))));
    const results = await Promise.all(servers.map((s) => s.start().ready.then(() => 'ready', (e: { code: string }) => e.code)));
    expect(results.sort()).toEqual(['DOMAIN_IN_USE', 'DOMAIN_IN_USE', 'ready']);
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'c', logger: quiet, reconnect: false });
    cleanups.push(() => client.close());
    client.connect();
    expect(await client.request('who')).toBe('answered');
  });

  it('security: a second server does not take over a live listener whose backlog is full (EAGAIN is not a dead socket)', async () => {
    // A live listener that never accepts (its event loop is busy), with a backlog of one.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen({ path: ${JSON.stringify(socket.socketPath)}, backlog: 1 }, () => { console.log('up'); for (;;); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void child.kill('SIGKILL'));
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const queued: Socket[] = [];
    cleanups.push(() => queued.forEach((s) => s.destroy()));
    let eagain = false;
    while (!eagain && queued.length < 100) {
      const sock = createConnection(socket.socketPath);
      queued.push(sock);
      eagain = await new Promise<boolean>((resolve) => {
        sock.once('connect', () => resolve(false));
        sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EAGAIN'));
      });
    }
    expect(eagain).toBe(true);
    const inode = statSync(socket.socketPath).ino;
    const second = new IpcServer({ socketPath: socket.socketPath, logger: quiet });
    cleanups.push(() => second.close());
    await expect(second.start().ready).rejects.toMatchObject({ code: 'DOMAIN_IN_USE' });
    expect(statSync(socket.socketPath).ino).toBe(inode);
  });

  it('security: a client refuses a socket directory another user owns or can write (UNSAFE_SOCKET_DIR) rather than hand its token to whoever listens there', async () => {
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = socket.dir;
    cleanups.push(() => {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    });
    const dir = join(socket.dir, 'ipcio');
    mkdirSync(dir, { mode: 0o700 });
    const accepted: Socket[] = [];
    const listener = createServer((sock) => void accepted.push(sock)); // whoever prepared the directory listens in it
    await new Promise<void>((resolve) => listener.listen(join(dir, 'd.sock'), resolve));
    cleanups.push(() => {
      for (const sock of accepted) sock.destroy();
      return new Promise<void>((resolve) => listener.close(() => resolve()));
    });
    for (const spoil of [() => chownSync(dir, 65534, 65534), () => chmodSync(dir, 0o770)]) {
      spoil();
      const client = new IpcClient({ domain: 'd', name: 'c', token: 'secret', logger: quiet, reconnect: false, handshakeTimeoutMs: 500 });
      try {
        client.connect();
        await expect(client.ready).rejects.toMatchObject({ code: 'UNSAFE_SOCKET_DIR' });
      } finally {
        await client.close();
        chownSync(dir, 0, 0);
        chmodSync(dir, 0o700);
      }
    }
    expect(accepted).toEqual([]); // nothing ever connected
  });
});
