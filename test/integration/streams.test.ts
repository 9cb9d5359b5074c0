import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer, type HandlerContainer } from '../../lib/node/index.js';
import { MessageKind, PROTOCOL_VERSION } from '../../lib/common/messages.js';
import { ClientEndpoint } from '../../lib/common/client-endpoint.js';
import { deferred, quiet } from '../support/deferred.js';
import { memoryPortPair } from '../support/memory-port.js';
import { RawPeer } from '../support/raw-peer.js';
import { welcomingServer } from '../support/raw-server.js';
import { tempSocket } from '../support/temp-socket.js';


async function collect<T>(iterable: AsyncIterable<T>, max = Infinity): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
    if (items.length >= max) break;
  }
  return items;
}

async function failureOf(iterable: AsyncIterable<unknown>): Promise<{ code?: string; remoteCode?: string; message: string; items: unknown[] }> {
  const items: unknown[] = [];
  try {
    for await (const item of iterable) items.push(item);
  } catch (error) {
    const e = error as { code?: string; remoteCode?: string; message: string };
    return { code: e.code, remoteCode: e.remoteCode, message: e.message, items };
  }
  throw new Error(`the stream ended without an error after ${items.length} items`);
}

/** A producer that counts how far it got and whether its finally ran. */
function countingProducer() {
  const state = { yielded: 0, finallyRan: deferred<number>() };
  const handler = async function* ({ data }: HandlerContainer<{ n?: number } | undefined>) {
    try {
      for (let i = 0; i < (data?.n ?? Infinity); i += 1) {
        state.yielded = i + 1;
        yield i;
      }
    } finally {
      state.finallyRan.resolve(state.yielded);
    }
  };
  return { state, handler };
}

describe('streams over a real socket (Node server and clients in this process)', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  const clients: IpcClient[] = [];

  const connect = async (name: string, handlers?: object): Promise<IpcClient> => {
    const client = new IpcClient({ socketPath: socket.socketPath, name, logger: quiet, reconnect: false }, handlers as never).connect();
    clients.push(client);
    await client.ready;
    return client;
  };

  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }).start();
    await server.ready;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
    socket.cleanup();
  });

  it('client → server: every item in order, then the end', async () => {
    const { handler } = countingProducer();
    server.addHandlers({ count: handler });
    const client = await connect('reader');
    expect(await collect(client.stream('count', { n: 100 }, { window: 4 }))).toEqual([...Array(100).keys()]);
  });

  it('client → server: break cancels, and the producer\'s finally runs with it held to the window', async () => {
    const { state, handler } = countingProducer();
    server.addHandlers({ count: handler });
    const client = await connect('reader');
    expect(await collect(client.stream('count', undefined, { window: 8 }), 3)).toEqual([0, 1, 2]);
    const yielded = await state.finallyRan.promise;
    // Credit bounds how far it ran ahead of the three read: the window, plus the one it was producing.
    expect(yielded).toBeLessThanOrEqual(3 + 8 + 1);
    expect(server.connection('reader')?.streams.size).toBe(0);
  });

  it('server → client: server.stream reads a client\'s generator; break cancels it there', async () => {
    const { state, handler } = countingProducer();
    await connect('sensor', { count: handler });
    expect(await collect(server.stream('sensor', 'count', { n: 5 }))).toEqual([0, 1, 2, 3, 4]);
    expect(await collect(server.stream('sensor', 'count', undefined, { window: 2 }), 2)).toEqual([0, 1]);
    expect(await state.finallyRan.promise).toBeLessThanOrEqual(2 + 2 + 1);
  });

  it('client → client through the server: order, a bounded window, and cancel reaching the producer', async () => {
    const { state, handler } = countingProducer();
    await connect('producer', { count: countingProducer().handler, endless: handler });
    const consumer = await connect('consumer');
    expect(await collect(consumer.streamFrom('producer', 'count', { n: 50 }, { window: 3 }))).toEqual([...Array(50).keys()]);
    const endless = consumer.streamFrom('producer', 'endless', undefined, { window: 5 });
    expect((await endless.next()).value).toBe(0);
    // The consumer stops reading: the producer pauses once the window is used up.
    const route = () => server.connection('consumer')!.streams.relay;
    expect(route().size).toBe(1);
    await endless.return?.(undefined);
    expect(await state.finallyRan.promise).toBeLessThanOrEqual(1 + 5 + 1);
    await until(() => route().size === 0 && server.connection('producer')!.streams.relay.size === 0);
  });

  it('cancel from the producer\'s side: the consumer\'s loop throws the producer\'s error with its code', async () => {
    server.addHandlers({
      boom: async function* () {
        yield 'first';
        const error = new Error('the sensor broke') as Error & { code: string };
        error.code = 'E_SENSOR';
        throw error;
      },
    });
    const client = await connect('reader');
    const failure = await failureOf(client.stream('boom'));
    expect(failure).toMatchObject({ code: 'HANDLER_ERROR', remoteCode: 'E_SENSOR', items: ['first'] });
    expect(failure.message).toContain('the sensor broke');
  });

  it('an AbortSignal cancels a stream both ways: the loop throws CANCELLED and the producer\'s signal fires', async () => {
    const aborted = deferred<unknown>();
    await connect('producer', {
      wait: async function* ({ signal }: HandlerContainer<undefined>) {
        yield 'started';
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        aborted.resolve(signal.reason);
      },
    });
    const consumer = await connect('consumer');
    const controller = new AbortController();
    const stream = consumer.streamFrom('producer', 'wait', undefined, { signal: controller.signal });
    expect((await stream.next()).value).toBe('started');
    const pending = stream.next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' });
    await aborted.promise;
  });

  it('a request to a stream handler, and a stream to a request handler, get a clear HANDLER_ERROR', async () => {
    const { state, handler } = countingProducer();
    server.addHandlers({ count: handler, double: ({ data }: HandlerContainer<number>) => data * 2 });
    const client = await connect('reader');
    await expect(client.request('count')).rejects.toMatchObject({ code: 'HANDLER_ERROR', message: expect.stringContaining('use stream()') });
    const failure = await failureOf(client.stream('double', 2));
    expect(failure.code).toBe('HANDLER_ERROR');
    expect(failure.message).toContain('must return an async iterable');
    expect(state.yielded).toBe(0);
    const missing = await failureOf(client.stream('nothing'));
    expect(missing.code).toBe('NO_HANDLER');
  });

  it('a stream to a client that is not connected gets NO_SUCH_CLIENT, from the server and from a client', async () => {
    const client = await connect('reader');
    expect((await failureOf(client.streamFrom('ghost', 'count'))).code).toBe('NO_SUCH_CLIENT');
    expect((await failureOf(server.stream('ghost', 'count'))).code).toBe('NO_SUCH_CLIENT');
  });

  it('a producer disconnecting mid-stream ends the consumer\'s loop with DISCONNECTED (routed and direct)', async () => {
    const producer = await connect('producer', { count: countingProducer().handler });
    const consumer = await connect('consumer');
    const routed = consumer.streamFrom('producer', 'count', undefined, { window: 2 });
    const direct = server.stream('producer', 'count', undefined, { window: 2 });
    expect((await routed.next()).value).toBe(0);
    expect((await direct.next()).value).toBe(0);
    await producer.close();
    const routedFailure = await failureOf(routed);
    const directFailure = await failureOf(direct);
    expect(routedFailure.code).toBe('DISCONNECTED');
    expect(directFailure.code).toBe('DISCONNECTED');
    // Items already on their way still arrive, in order, before the error.
    expect(routedFailure.items).toEqual([...Array(routedFailure.items.length).keys()].map((i) => i + 1));
  });

  it('a consumer disconnecting mid-stream aborts the producer (routed and direct)', async () => {
    const routedProducer = countingProducer();
    const serverProducer = countingProducer();
    server.addHandlers({ count: serverProducer.handler });
    await connect('producer', { count: routedProducer.handler });
    const consumer = await connect('consumer');
    const routed = consumer.streamFrom('producer', 'count');
    const direct = consumer.stream('count');
    await routed.next();
    await direct.next();
    await consumer.close();
    await routedProducer.state.finallyRan.promise;
    await serverProducer.state.finallyRan.promise;
    // The consumer's own loops end with CLOSED (after items already received): it closed the client itself.
    expect((await failureOf(routed)).code).toBe('CLOSED');
    expect((await failureOf(direct)).code).toBe('CLOSED');
  });

  it('a stream opened while offline opens on the next connection', async () => {
    server.addHandlers({ count: countingProducer().handler });
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'late', logger: quiet, reconnect: false });
    clients.push(client);
    const stream = client.stream('count', { n: 3 });
    const items = collect(stream);
    client.connect();
    expect(await items).toEqual([0, 1, 2]);
  });

  it('a stream waiting offline gives up with TIMEOUT after requestTimeoutMs, CANCELLED on its signal, CLOSED on close()', async () => {
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'never', logger: quiet, reconnect: false, requestTimeoutMs: 50 });
    clients.push(client);
    expect((await failureOf(client.stream('count'))).code).toBe('TIMEOUT');
    const controller = new AbortController();
    const aborted = failureOf(client.stream('count', undefined, { signal: controller.signal }));
    controller.abort();
    expect((await aborted).code).toBe('CANCELLED');
    const patient = new IpcClient({ socketPath: socket.socketPath, name: 'patient', logger: quiet, reconnect: false, requestTimeoutMs: 0 });
    const closing = failureOf(patient.stream('count'));
    await patient.close();
    expect((await closing).code).toBe('CLOSED');
  });

  it('the idle timeout ends a stream whose producer holds credit but sends nothing: TIMEOUT, and the producer is cancelled', async () => {
    const cancelled = deferred<unknown>();
    server.addHandlers({
      stuck: async function* ({ signal }: HandlerContainer<undefined>) {
        yield 'one';
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        cancelled.resolve(signal.reason);
      },
    });
    const client = await connect('reader');
    const failure = await failureOf(client.stream('stuck', undefined, { idleTimeoutMs: 100 }));
    expect(failure).toMatchObject({ code: 'TIMEOUT', items: ['one'] });
    await cancelled.promise;
  });

  it('a client without the streams feature: server.stream and routed streams to it get UNSUPPORTED; requests keep working', async () => {
    const old = await RawPeer.connect(socket.socketPath);
    old.send({ kind: MessageKind.Hello, version: PROTOCOL_VERSION, name: 'old', commands: ['double'] });
    await old.waitFor(MessageKind.Welcome);
    const direct = await failureOf(server.stream('old', 'count'));
    expect(direct.code).toBe('UNSUPPORTED');
    const client = await connect('reader');
    expect((await failureOf(client.streamFrom('old', 'count'))).code).toBe('UNSUPPORTED');
    // Nothing stream-related reached the old peer, and the server still routes its requests.
    expect(old.received.filter((m) => m.kind.startsWith('stream-'))).toEqual([]);
    const answer = client.requestFrom('old', 'double', 2);
    const request = await old.waitFor(MessageKind.Request);
    old.send({ kind: MessageKind.Response, id: request.id, data: 4 });
    expect(await answer).toBe(4);
    old.socket.destroy();
  });

  it('a server without the streams feature: the client\'s stream gets UNSUPPORTED at once; requests still go', async () => {
    await server.close();
    socket.cleanup();
    socket = tempSocket();
    const old = await welcomingServer(socket.socketPath);
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'modern', logger: quiet, reconnect: false }).connect();
    clients.push(client);
    await client.ready;
    const failure = await failureOf(client.stream('count'));
    expect(failure.code).toBe('UNSUPPORTED');
    expect(failure.message).toContain('does not support streams');
    const sockets = old.sockets;
    const received: string[] = [];
    sockets[0]!.on('data', (chunk) => received.push(chunk.toString('latin1')));
    void client.emit('still', 'works');
    await until(() => received.join('').includes('still'));
    expect(received.join('')).not.toContain('stream-open');
    await client.close();
    await old.close();
    server = new IpcServer({ socketPath: socket.socketPath, logger: quiet });
  });

  it('the allow policy covers streams: a stream outside it is FORBIDDEN (a trusted port, as the Electron bridges use)', async () => {
    const { handler } = countingProducer();
    server.addHandlers({ count: handler });
    await connect('producer', { count: handler });
    const [serverSide, clientSide] = memoryPortPair();
    server.accept(serverSide, { trusted: true, kind: 'window', allow: (command, target, kind) => kind !== 'stream' || (command === 'count' && target === undefined) });
    const windowClient = new ClientEndpoint(async () => clientSide, { name: 'window', logger: quiet, reconnect: false }).connect();
    await windowClient.ready;
    expect(await collect(windowClient.stream('count', { n: 2 }))).toEqual([0, 1]);
    const forbidden = await failureOf(windowClient.streamFrom('producer', 'count'));
    expect(forbidden.code).toBe('FORBIDDEN');
    await windowClient.close();
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
