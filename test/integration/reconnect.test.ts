import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { PeerProcess, type RemoteError } from '../support/peer-process.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';


describe('offline queue and reconnects, with real processes', () => {
  let socket: ReturnType<typeof tempSocket>;
  const started: PeerProcess[] = [];
  const start = (config: Parameters<typeof PeerProcess.start>[0]): PeerProcess => {
    const peer = PeerProcess.start(config);
    started.push(peer);
    return peer;
  };

  beforeEach(() => {
    socket = tempSocket();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
    socket.cleanup();
  });

  it('delivers what a client queued before the server started, in order', async () => {
    const client = start({ role: 'client', socketPath: socket.socketPath, name: 'early' });
    await client.call('emitSeqBurst', 500);
    const answer = client.call('request', 'double', 50);
    await client.call('wait', 300);
    const server = start({ role: 'server', socketPath: socket.socketPath });
    expect(await answer).toBe(100);
    await until(() => server.eventsNamed('seq').length === 500, 10_000, '500 queued emits');
    expect(server.eventsNamed('seq').map((e) => e.n)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  it('survives kill -9 of the server mid-stream: everything queued after the loss arrives once, in order', async () => {
    const first = start({ role: 'server', socketPath: socket.socketPath });
    await first.waitFor((e) => e.event === 'ready');
    const client = start({ role: 'client', socketPath: socket.socketPath, name: 'streamer', reconnect: { minMs: 20, maxMs: 200 } });
    await client.call('ready');
    await client.call('startStream', 1);
    await until(() => first.eventsNamed('seq').length > 100, 10_000, 'stream to flow');
    const inFlight = client.call('request', 'slow', { ms: 60_000 }, { timeoutMs: 0 }).catch((e: RemoteError) => e);
    await client.call('wait', 50);
    await first.kill('SIGKILL');
    const disconnect = await client.waitFor((e) => e.event === 'disconnect');
    expect(await inFlight).toMatchObject({ code: 'DISCONNECTED' });
    await client.call('wait', 200); // the stream keeps emitting into the offline queue
    const second = start({ role: 'server', socketPath: socket.socketPath });
    await second.waitFor((e) => e.event === 'ready');
    await until(() => client.eventsNamed('connect').length === 2, 10_000, 'reconnect');
    const last = await client.call<number>('stopStream');
    await until(() => second.eventsNamed('seq').some((e) => e.n === last - 1), 10_000, 'the last message');
    const received = second.eventsNamed('seq').map((e) => e.n as number);
    const queuedFrom = disconnect.nextSeq as number;
    // Everything emitted after the client saw the loss was queued: all of it arrives, once, in order.
    expect(received).toEqual(Array.from({ length: last - queuedFrom }, (_, i) => queuedFrom + i));
  });

  it('reports QUEUE_FULL for the newest message when the offline queue is full', async () => {
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'full', queueLimit: 3, logger: quiet });
    const errors: string[] = [];
    client.on('error', (error) => errors.push(error.code));
    client.emit('a').emit('b').emit('c').emit('d');
    const refused = await client.request('e').catch((e: { code: string }) => e.code);
    expect(errors).toEqual(['QUEUE_FULL']);
    expect(refused).toBe('QUEUE_FULL');
    await client.close();
  });

  it('counts a queued request timeout from the call and drops it from the queue', async () => {
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'timer', logger: quiet });
    client.connect();
    const started = Date.now();
    const error = await client.request('double', 1, { timeoutMs: 150 }).catch((e: { code: string }) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }, { double: ({ data }) => (data as number) * 2 });
    const seen: unknown[] = [];
    server.on('message', ({ message }) => seen.push(message.kind));
    server.start();
    await client.ready;
    expect(await client.request('double', 2)).toBe(4);
    expect(seen).toEqual(['request']); // the timed-out request never went out
    await client.close();
    await server.close();
  });

  it('lets a reconnecting client take its own name back before the server noticed the old connection died', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet });
    server.start();
    await server.ready;
    // The old connection: welcomed, then silent, as a half-open socket would be.
    const stale = await RawPeer.connect(socket.socketPath);
    stale.send({ kind: 'hello', version: 1, name: 'phoenix' });
    const { session } = await stale.waitFor('welcome');
    // Another process claiming the name with no session is refused...
    const impostor = new IpcClient({ socketPath: socket.socketPath, name: 'phoenix', logger: quiet, reconnect: false });
    impostor.connect();
    await expect(impostor.ready).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    // ...and so is one presenting a wrong session...
    const guesser = new IpcClient({ socketPath: socket.socketPath, name: 'phoenix', logger: quiet, reconnect: false });
    (guesser as unknown as { session: string }).session = 'not-the-session';
    guesser.connect();
    await expect(guesser.ready).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    // ...but the client with the session the server gave "phoenix" gets its name back, and the stale connection is dropped.
    const reborn = new IpcClient({ socketPath: socket.socketPath, name: 'phoenix', logger: quiet, reconnect: false });
    (reborn as unknown as { session: string }).session = session;
    reborn.connect();
    await reborn.ready;
    await stale.waitClosed();
    expect(server.clients()).toEqual(['phoenix']);
    await Promise.all([impostor.close(), guesser.close(), reborn.close()]);
    await server.close();
  });

  it('rejects pending work with CLOSED when the client is closed', async () => {
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'closer', logger: quiet });
    client.connect();
    const pending = client.request('anything');
    await client.close();
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(client.ready).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
