import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket } from '../support/temp-socket.js';

/** Streams between a server and clients that each run in their own process, over a real Unix socket. */
describe('streams between processes', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: PeerProcess;
  let producer: PeerProcess;
  let consumer: PeerProcess;

  beforeEach(async () => {
    socket = tempSocket();
    server = PeerProcess.start({ role: 'server', socketPath: socket.socketPath, serverName: 'main' });
    await server.waitFor((e) => e.event === 'ready');
    producer = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'producer', reconnect: false });
    consumer = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'consumer', reconnect: false });
    await Promise.all([producer.call('ready'), consumer.call('ready')]);
  });

  afterEach(async () => {
    await Promise.all([producer, consumer, server].map((p) => p?.stop()));
    socket.cleanup();
  });

  it('client → server, server → client and client → client: every item, in order', async () => {
    const hundred = [...Array(100).keys()];
    expect(await consumer.call('streamCollect', null, 'count', { n: 100 }, { window: 4 })).toEqual(hundred);
    expect(await server.call('streamCollect', 'producer', 'count', { n: 100 }, { window: 4 })).toEqual(hundred);
    expect(await consumer.call('streamCollect', 'producer', 'count', { n: 100 }, { window: 4 })).toEqual(hundred);
  });

  it('break in a routed loop runs the producer\'s finally in the other process, which ran at most a window ahead', async () => {
    expect(await consumer.call('streamCollect', 'producer', 'count', undefined, { window: 4, max: 10 })).toEqual([...Array(10).keys()]);
    const finished = await producer.waitFor((e) => e.event === 'producer-finally');
    expect(finished.yielded as number).toBeLessThanOrEqual(10 + 4 + 1);
    expect(finished.code).toBe('CANCELLED');
  });

  it('a producer\'s throw reaches a consumer in another process as HANDLER_ERROR with its code', async () => {
    await expect(consumer.call('streamCollect', 'producer', 'boom')).rejects.toMatchObject({ code: 'HANDLER_ERROR', remoteCode: 'E_FIXTURE' });
    await expect(server.call('streamCollect', 'producer', 'boom')).rejects.toMatchObject({ code: 'HANDLER_ERROR', remoteCode: 'E_FIXTURE' });
  });

  it('the producer\'s process dies mid-stream: the routed consumer and the server\'s own stream end with DISCONNECTED', async () => {
    await consumer.call('streamStart', 'routed', 'producer', 'count', undefined, { window: 2 });
    await server.call('streamStart', 'direct', 'producer', 'count', undefined, { window: 2 });
    await consumer.waitFor((e) => e.event === 'stream-item' && e.key === 'routed');
    await server.waitFor((e) => e.event === 'stream-item' && e.key === 'direct');
    await producer.kill();
    expect(await consumer.waitFor((e) => e.event === 'stream-ended' && e.key === 'routed')).toMatchObject({ code: 'DISCONNECTED' });
    expect(await server.waitFor((e) => e.event === 'stream-ended' && e.key === 'direct')).toMatchObject({ code: 'DISCONNECTED' });
    // The server keeps serving the others.
    expect(await consumer.call('streamCollect', null, 'count', { n: 3 })).toEqual([0, 1, 2]);
  });

  it('the consumer\'s process dies mid-stream: the producer\'s signal aborts with DISCONNECTED and its finally runs', async () => {
    await consumer.call('streamStart', 'routed', 'producer', 'count', undefined, { window: 2 });
    await consumer.waitFor((e) => e.event === 'stream-item' && e.key === 'routed');
    await consumer.kill();
    const finished = await producer.waitFor((e) => e.event === 'producer-finally');
    // The server tells the producer why (stream-cancel with DISCONNECTED): both sides see DISCONNECTED.
    expect(finished).toMatchObject({ aborted: true, code: 'DISCONNECTED' });
  });

  it('the server\'s process dies mid-stream: both clients\' loops end with DISCONNECTED and the producer stops', async () => {
    await consumer.call('streamStart', 'routed', 'producer', 'count', undefined, { window: 2 });
    await consumer.waitFor((e) => e.event === 'stream-item' && e.key === 'routed');
    await server.kill();
    expect(await consumer.waitFor((e) => e.event === 'stream-ended' && e.key === 'routed')).toMatchObject({ code: 'DISCONNECTED' });
    expect(await producer.waitFor((e) => e.event === 'producer-finally')).toMatchObject({ aborted: true, code: 'DISCONNECTED' });
  });
});
