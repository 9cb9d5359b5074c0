import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { headerOnly, RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';


/** The server survives anything one peer sends, and keeps serving the others. */
describe('limits against misbehaving peers, over a real socket', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let bystander: IpcClient;
  const serverErrors: string[] = [];

  beforeEach(async () => {
    socket = tempSocket();
    serverErrors.length = 0;
    server = new IpcServer(
      { socketPath: socket.socketPath, token: 'sesame', maxFrameSize: 1024 * 1024, handshakeTimeoutMs: 300, maxPendingWriteBytes: 4 * 1024 * 1024, logger: quiet },
      { double: ({ data }) => (data as number) * 2, flood: ({ data }) => 'x'.repeat(data as number) },
    );
    server.on('error', (error) => serverErrors.push(error.code));
    server.start();
    await server.ready;
    bystander = new IpcClient({ socketPath: socket.socketPath, name: 'bystander', token: 'sesame', logger: quiet });
    bystander.connect();
    await bystander.ready;
  });

  afterEach(async () => {
    await bystander.close();
    await server.close();
    socket.cleanup();
  });

  async function stillServing(): Promise<void> {
    expect(await bystander.request('double', 21)).toBe(42);
  }

  async function welcomed(name: string): Promise<RawPeer> {
    const peer = await RawPeer.connect(socket.socketPath);
    await peer.join(name, 'sesame');
    return peer;
  }

  it('answers a header over maxFrameSize with FRAME_TOO_LARGE and closes that connection', async () => {
    const peer = await welcomed('big');
    peer.writeBytes(headerOnly(0xffff_fff0, 10));
    const error = await peer.waitFor('error');
    expect(error).toMatchObject({ error: { code: 'FRAME_TOO_LARGE' }, fatal: true });
    await peer.waitClosed();
    await stillServing();
  });

  it('answers malformed JSON with BAD_MESSAGE and closes that connection', async () => {
    const peer = await welcomed('garbage');
    const json = new TextEncoder().encode('{"kind":"emit",');
    const frame = new Uint8Array(8 + json.length);
    frame.set(headerOnly(4 + json.length, json.length));
    frame.set(json, 8);
    peer.writeBytes(frame);
    expect(await peer.waitFor('error')).toMatchObject({ error: { code: 'BAD_MESSAGE' }, fatal: true });
    await peer.waitClosed();
    await stillServing();
  });

  it('closes a connection that never says hello, after the handshake timeout', async () => {
    const silent = await RawPeer.connect(socket.socketPath);
    const error = await silent.waitFor('error', 3_000);
    expect(error.error.code).toBe('HANDSHAKE_TIMEOUT');
    await silent.waitClosed();
    await stillServing();
  });

  it('closes a peer that sends a header and then stalls, by the handshake timeout', async () => {
    const staller = await RawPeer.connect(socket.socketPath);
    staller.writeBytes(headerOnly(100, 50));
    await staller.waitClosed(3_000);
    await stillServing();
  });

  it('refuses a missing token with AUTH_FAILED (a wrong one: the client stops with SERVER_AUTH_FAILED) before any handler runs', async () => {
    const handled: string[] = [];
    server.addHandlers({ secret: ({ client_name }) => void handled.push(client_name) });
    for (const [token, code] of [[undefined, 'AUTH_FAILED'], ['wrong', 'SERVER_AUTH_FAILED']] as const) {
      const client = new IpcClient({ socketPath: socket.socketPath, name: `intruder-${token}`, token, logger: quiet, reconnect: false });
      client.emit('secret');
      client.connect();
      await expect(client.ready).rejects.toMatchObject({ code });
      await client.close();
    }
    // A raw peer that skips the hello and sends a command is refused too.
    const raw = await RawPeer.connect(socket.socketPath);
    raw.send({ kind: 'emit', cmd: 'secret' });
    expect(await raw.waitFor('error')).toMatchObject({ error: { code: 'BAD_MESSAGE' } });
    expect(handled).toEqual([]);
    expect(server.clients()).toEqual(['bystander']);
    await stillServing();
  });

  it('refuses an unsupported protocol version with PROTOCOL_VERSION', async () => {
    const raw = await RawPeer.connect(socket.socketPath);
    raw.send({ kind: 'hello', version: 99, name: 'future', nonce: 'ab'.repeat(32) });
    expect(await raw.waitFor('error')).toMatchObject({ error: { code: 'PROTOCOL_VERSION' }, fatal: true });
    await raw.waitClosed();
  });

  it('drops a peer that stops reading with SLOW_CONSUMER, keeping the server memory bounded', async () => {
    const reader = await welcomed('sloth');
    reader.socket.pause(); // stops reading: the kernel buffers fill, then the server's outbound queue
    const disconnected = new Promise<{ reason?: { code: string } }>((resolve) => {
      server.on('client-disconnected', (info) => {
        if (info.name === 'sloth') resolve(info);
      });
    });
    const payload = 'y'.repeat(512 * 1024);
    for (let i = 0; i < 64 && server.clients().includes('sloth'); i += 1) {
      server.emit('sloth', 'fill', payload);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const info = await disconnected;
    expect(info.reason?.code).toBe('SLOW_CONSUMER');
    await stillServing();
    reader.destroy();
  });

  it('lets a client refuse to send a frame over the announced limit, keeping the connection', async () => {
    const error = await bystander.request('double', 'z'.repeat(2 * 1024 * 1024)).catch((e: { code: string }) => e);
    expect(error).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    expect(bystander.connected).toBe(true);
    await stillServing();
  });

  it('answers a request whose result is too large for the peer with an error instead of silence', async () => {
    const small = new IpcClient({ socketPath: socket.socketPath, name: 'small', token: 'sesame', maxFrameSize: 64 * 1024, logger: quiet });
    small.connect();
    await small.ready;
    // The client announced its limit in the hello, so the server sends the error in place of the result.
    const error = await small.request('flood', 128 * 1024).catch((e: { code: string }) => e);
    expect(error).toMatchObject({ code: 'FRAME_TOO_LARGE' });
    expect(small.connected).toBe(true);
    await small.close();
    await stillServing();
  });

  it('survives a flood of connections that never say hello', async () => {
    const peers = await Promise.all(Array.from({ length: 200 }, () => RawPeer.connect(socket.socketPath)));
    await stillServing();
    await until(() => peers.every((p) => p.closed), 5_000, 'all silent connections to be closed');
  });
});
