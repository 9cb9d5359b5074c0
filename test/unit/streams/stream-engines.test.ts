import { describe, expect, it } from 'vitest';
import { ErrorCode, IpcError } from '../../../lib/common/errors.js';
import { MessageKind, type StreamItemMessage } from '../../../lib/common/messages.js';
import type { HandlerContainer } from '../../../lib/common/contract.js';
import { directPair, routedTrio, Wire } from '../../support/stream-link.js';

/** A handler that yields 0..count-1 and records how far it got and whether its finally ran. */
function counting(count: number) {
  const state = { yielded: 0, finallyRan: false, aborted: false, finished: undefined as unknown as Promise<void> };
  let markFinished!: () => void;
  state.finished = new Promise((resolve) => (markFinished = resolve));
  const handler = async function* ({ signal }: HandlerContainer<never>) {
    signal.addEventListener('abort', () => (state.aborted = true));
    try {
      for (let i = 0; i < count; i += 1) {
        state.yielded += 1;
        yield i;
      }
    } finally {
      state.finallyRan = true;
      markFinished();
    }
  };
  return { state, handler };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

/** Delivers frames until nothing is in flight and no engine has work queued (a macrotask turn flushes their microtasks). */
async function settle(wire: Wire): Promise<void> {
  for (;;) {
    await new Promise((resolve) => setImmediate(resolve));
    if (!wire.deliverOne() && wire.pending === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      if (wire.pending === 0) return;
    }
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as IpcError).code;
  }
}

describe('streams between two peers (engines over an in-memory wire)', () => {
  it('delivers every item in order and ends once on both sides', async () => {
    const wire = new Wire(true);
    const { state, handler } = counting(100);
    const { a, ends } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { count: handler } });
    expect(await collect(a.open<number>('count', undefined, { window: 4 }))).toEqual([...Array(100).keys()]);
    await state.finished;
    expect(ends.ends).toEqual([
      { peer: 'server', role: 'producer', id: 1, code: undefined },
      { peer: 'client', role: 'consumer', id: 1, code: undefined },
    ]);
    expect(a.size).toBe(0);
  });

  it('passes the payload and the sender name to the handler', async () => {
    const wire = new Wire(true);
    const seen: unknown[] = [];
    const { a } = directPair(wire, { name: 'client' }, {
      name: 'server',
      handlers: {
        echo: async function* ({ data, client_name, command }: HandlerContainer<never>) {
          seen.push({ data, client_name, command });
          yield* (data as { items: string[] }).items;
        },
      },
    });
    expect(await collect(a.open('echo', { items: ['x', 'y'] }))).toEqual(['x', 'y']);
    expect(seen).toEqual([{ data: { items: ['x', 'y'] }, client_name: 'client', command: 'echo' }]);
  });

  it('pauses the generator when the consumer stops reading: it never runs further ahead than the window', async () => {
    const wire = new Wire(false);
    const { state, handler } = counting(1_000);
    const { a, b } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { count: handler } });
    const stream = a.open<number>('count', undefined, { window: 8 });
    const first = stream.next();
    await settle(wire);
    expect(await first).toEqual({ done: false, value: 0 });
    // Delivered everything that could move: without more reads, nothing more is sent.
    await settle(wire);
    const itemsSent = wire.log.filter((entry) => entry.message.kind === MessageKind.StreamItem).length;
    expect(itemsSent).toBeLessThanOrEqual(8);
    // The generator is asked for the next item only with credit: it yielded what was sent, plus none.
    expect(state.yielded).toBe(itemsSent);
    expect(b.producers.size).toBe(1);
    await stream.return();
    await settle(wire);
    await state.finished;
    expect(state.finallyRan).toBe(true);
  });

  it('break cancels the producer: its signal aborts and its finally runs', async () => {
    const wire = new Wire(true);
    const { state, handler } = counting(Number.POSITIVE_INFINITY);
    const { a, ends } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { count: handler } });
    const got: number[] = [];
    for await (const n of a.open<number>('count')) {
      got.push(n);
      if (n === 2) break;
    }
    expect(got).toEqual([0, 1, 2]);
    await state.finished;
    expect(state).toMatchObject({ finallyRan: true, aborted: true });
    expect(ends.ends.map((e) => [e.peer, e.role, e.code])).toEqual([
      ['client', 'consumer', 'CANCELLED'],
      ['server', 'producer', 'CANCELLED'],
    ]);
  });

  it('an AbortSignal ends the loop with CANCELLED', async () => {
    const wire = new Wire(true);
    const { state, handler } = counting(Number.POSITIVE_INFINITY);
    const { a } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { count: handler } });
    const controller = new AbortController();
    const failure = codeOf(
      (async () => {
        for await (const n of a.open<number>('count', undefined, { signal: controller.signal })) {
          if (n === 3) controller.abort();
        }
      })(),
    );
    expect(await failure).toBe(ErrorCode.CANCELLED);
    await state.finished;
    expect(state.aborted).toBe(true);
  });

  it('a producer that throws ends the loop with HANDLER_ERROR and its own code, after the items it yielded', async () => {
    const wire = new Wire(true);
    const { a } = directPair(wire, { name: 'client' }, {
      name: 'server',
      handlers: {
        fail: async function* () {
          yield 'first';
          throw Object.assign(new Error('disk on fire'), { code: 'E_FIRE' });
        },
      },
    });
    const got: unknown[] = [];
    let error: IpcError | undefined;
    try {
      for await (const item of a.open('fail')) got.push(item);
    } catch (thrown) {
      error = thrown as IpcError;
    }
    expect(got).toEqual(['first']);
    expect(error).toBeInstanceOf(IpcError);
    expect({ code: error?.code, remoteCode: error?.remoteCode, message: error?.message }).toEqual({ code: 'HANDLER_ERROR', remoteCode: 'E_FIRE', message: 'disk on fire' });
  });

  it('no handler: NO_HANDLER; a handler that returns no iterable: HANDLER_ERROR', async () => {
    const wire = new Wire(true);
    const { a } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { plain: () => 42 } });
    expect(await codeOf(collect(a.open('missing')))).toBe(ErrorCode.NO_HANDLER);
    expect(await codeOf(collect(a.open('plain')))).toBe(ErrorCode.HANDLER_ERROR);
  });

  it('a peer that did not announce streams: UNSUPPORTED, and nothing is sent', async () => {
    const wire = new Wire(true);
    const { a } = directPair(wire, { name: 'client' }, { name: 'old-server', speaksStreams: false });
    expect(await codeOf(collect(a.open('count')))).toBe(ErrorCode.UNSUPPORTED);
    expect(wire.log).toEqual([]);
  });

  it('binary items arrive as bytes', async () => {
    const wire = new Wire(true);
    const { a } = directPair(wire, { name: 'client' }, {
      name: 'server',
      handlers: {
        chunks: async function* () {
          yield new Uint8Array([1, 2, 3]);
          yield { name: 'b', bytes: new Uint8Array([4, 5]) };
        },
      },
    });
    const [first, second] = await collect(a.open<unknown>('chunks'));
    expect(first).toBeInstanceOf(Uint8Array);
    expect([...(first as Uint8Array)]).toEqual([1, 2, 3]);
    expect([...(second as { bytes: Uint8Array }).bytes]).toEqual([4, 5]);
    // On the wire the bytes were cut out of the JSON.
    const itemFrame = wire.log.find((e) => e.message.kind === MessageKind.StreamItem)?.message as StreamItemMessage;
    expect(itemFrame.data).toBeInstanceOf(Uint8Array);
  });

  it('an item too large for the connection ends the stream with FRAME_TOO_LARGE and stops the generator', async () => {
    const wire = new Wire(true, 4096);
    let finallyRan = false;
    const { a } = directPair(wire, { name: 'client' }, {
      name: 'server',
      handlers: {
        big: async function* () {
          try {
            yield 'small';
            yield new Uint8Array(8192);
            yield 'never';
          } finally {
            finallyRan = true;
          }
        },
      },
    });
    const got: unknown[] = [];
    const code = await codeOf((async () => { for await (const item of a.open('big')) got.push(item); })());
    expect({ got, code, finallyRan }).toEqual({ got: ['small'], code: 'FRAME_TOO_LARGE', finallyRan: true });
  });

  it('idle timeout: TIMEOUT when the producer sends nothing while holding credit, and the producer is cancelled', async () => {
    const wire = new Wire(true);
    let aborted!: () => void;
    const producerAborted = new Promise<void>((resolve) => (aborted = resolve));
    const { a } = directPair(wire, { name: 'client' }, {
      name: 'server',
      handlers: {
        stuck: async function* ({ signal }: HandlerContainer<never>) {
          yield 'one';
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          aborted();
        },
      },
    });
    const got: unknown[] = [];
    const code = await codeOf((async () => { for await (const item of a.open('stuck', undefined, { idleTimeoutMs: 50 })) got.push(item); })());
    expect({ got, code }).toEqual({ got: ['one'], code: 'TIMEOUT' });
    await producerAborted;
  });

  it('dispose ends every stream on both sides: DISCONNECTED for the consumer, the producer aborted', async () => {
    const wire = new Wire(true);
    const { state, handler } = counting(Number.POSITIVE_INFINITY);
    const { a, b, ends } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { count: handler } });
    const stream = a.open<number>('count', undefined, { window: 2 });
    await stream.next();
    const lost = new IpcError(ErrorCode.DISCONNECTED, 'connection lost');
    wire.drop();
    a.dispose(lost);
    b.dispose(lost);
    // Items already received are still read, then the error.
    const rest = codeOf(collect(stream));
    expect(await rest).toBe('DISCONNECTED');
    await state.finished;
    expect(state.aborted).toBe(true);
    expect(ends.ends.map((e) => [e.peer, e.role, e.code]).sort()).toEqual([
      ['client', 'consumer', 'DISCONNECTED'],
      ['server', 'producer', 'DISCONNECTED'],
    ]);
    expect(await codeOf(collect(a.open('count')))).toBe('DISCONNECTED');
  });

  it('maxStreams bounds the streams one peer can make the other serve', async () => {
    const wire = new Wire(true);
    const { handler } = counting(Number.POSITIVE_INFINITY);
    const { a } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { count: handler }, limits: { maxStreams: 2 } });
    const first = a.open<number>('count');
    const second = a.open<number>('count');
    await first.next();
    await second.next();
    expect(await codeOf(a.open('count').next())).toBe(ErrorCode.TOO_MANY_STREAMS);
    await first.return();
    await second.return();
  });

  it('a producer granted more credit than the limit ends the stream with BAD_MESSAGE', async () => {
    const wire = new Wire(true);
    const { handler } = counting(Number.POSITIVE_INFINITY);
    const { a } = directPair(wire, { name: 'client' }, { name: 'server', handlers: { count: handler }, limits: { maxCredit: 4 } });
    expect(await codeOf(collect(a.open('count', undefined, { window: 8 })))).toBe(ErrorCode.BAD_MESSAGE);
  });

  it('refuses bad windows locally with INVALID_ARGUMENT', () => {
    const { a } = directPair(new Wire(true), { name: 'client' }, { name: 'server' });
    expect(() => a.open('x', undefined, { window: 0 })).toThrow(/window/);
    expect(() => a.open('x', undefined, { window: 2000 })).toThrow(/window/);
  });
});

describe('routed streams (client → server → client)', () => {
  it('relays items, credit and end; the server never has more than the window outstanding', async () => {
    const wire = new Wire(true);
    const { state, handler } = counting(200);
    const trio = routedTrio(wire, { name: 'viewer' }, { name: 'sensor', handlers: { samples: handler } });
    let maxOutstanding = 0;
    const got: number[] = [];
    for await (const n of trio.consumer.open<number>('samples', undefined, { to: 'sensor', window: 6 })) {
      got.push(n);
      maxOutstanding = Math.max(maxOutstanding, ...trio.relayed.map((s) => s.outstandingCredit));
    }
    expect(got).toEqual([...Array(200).keys()]);
    expect(maxOutstanding).toBeLessThanOrEqual(6);
    expect(maxOutstanding).toBeGreaterThan(0);
    await state.finished;
    expect(trio.ends.ends.map((e) => [e.peer, e.role, e.code])).toEqual([
      ['sensor', 'producer', undefined],
      ['server', 'relay', undefined],
      ['viewer', 'consumer', undefined],
    ]);
    expect(trio.serverToConsumer.size + trio.serverToProducer.size).toBe(0);
  });

  it('the producer sees the consumer name as client_name', async () => {
    const wire = new Wire(true);
    const { consumer } = routedTrio(wire, { name: 'viewer' }, {
      name: 'sensor',
      handlers: { who: async function* ({ client_name }: HandlerContainer<never>) { yield client_name; } },
    });
    expect(await collect(consumer.open('who', undefined, { to: 'sensor' }))).toEqual(['viewer']);
  });

  it('a consumer that breaks cancels the producer through the server', async () => {
    const wire = new Wire(true);
    const { state, handler } = counting(Number.POSITIVE_INFINITY);
    const trio = routedTrio(wire, { name: 'viewer' }, { name: 'sensor', handlers: { samples: handler } });
    for await (const n of trio.consumer.open<number>('samples', undefined, { to: 'sensor' })) if (n === 5) break;
    await state.finished;
    expect(state.aborted).toBe(true);
    while (trio.serverToConsumer.size > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(trio.ends.ends.filter((e) => e.peer === 'server').map((e) => e.code)).toEqual(['CANCELLED']);
  });

  it('the producer disconnecting ends the consumer with DISCONNECTED; the consumer disconnecting aborts the producer', async () => {
    const wire = new Wire(true);
    const one = counting(Number.POSITIVE_INFINITY);
    const two = counting(Number.POSITIVE_INFINITY);
    const trio = routedTrio(wire, { name: 'viewer' }, { name: 'sensor', handlers: { one: one.handler, two: two.handler } });
    const first = trio.consumer.open<number>('one', undefined, { to: 'sensor' });
    await first.next();
    const gone = new IpcError(ErrorCode.DISCONNECTED, 'socket closed');
    trio.producer.dispose(gone);
    trio.serverToProducer.dispose(gone);
    expect(await codeOf(collect(first))).toBe('DISCONNECTED');
    await one.state.finished;

    const trio2 = routedTrio(new Wire(true), { name: 'viewer' }, { name: 'sensor', handlers: { two: two.handler } });
    const second = trio2.consumer.open<number>('two', undefined, { to: 'sensor' });
    await second.next();
    trio2.serverToConsumer.dispose(gone);
    await two.state.finished;
    expect(two.state.aborted).toBe(true);
  });

  it('a producer that throws reaches the consumer as HANDLER_ERROR with its code', async () => {
    const wire = new Wire(true);
    const { consumer } = routedTrio(wire, { name: 'viewer' }, {
      name: 'sensor',
      handlers: {
        broken: async function* () {
          throw Object.assign(new Error('no sensor'), { code: 'ENODEV' });
        },
      },
    });
    let error: IpcError | undefined;
    try {
      await collect(consumer.open('broken', undefined, { to: 'sensor' }));
    } catch (thrown) {
      error = thrown as IpcError;
    }
    expect([error?.code, error?.remoteCode]).toEqual(['HANDLER_ERROR', 'ENODEV']);
  });

  it('a target without streams: UNSUPPORTED; no such target: NO_SUCH_CLIENT', async () => {
    const old = routedTrio(new Wire(true), { name: 'viewer' }, { name: 'legacy', speaksStreams: false });
    expect(await codeOf(collect(old.consumer.open('x', undefined, { to: 'legacy' })))).toBe('UNSUPPORTED');
    const none = routedTrio(new Wire(true), { name: 'viewer' }, { name: 'sensor' });
    expect(await codeOf(collect(none.consumer.open('x', undefined, { to: 'nobody' })))).toBe('NO_SUCH_CLIENT');
  });

  it('a consumer granting credit over the server limit gets BAD_MESSAGE and the producer is cancelled', async () => {
    const { state, handler } = counting(Number.POSITIVE_INFINITY);
    const trio = routedTrio(new Wire(true), { name: 'viewer' }, { name: 'sensor', handlers: { s: handler } }, { maxCredit: 4 });
    expect(await codeOf(collect(trio.consumer.open('s', undefined, { to: 'sensor', window: 8 })))).toBe('BAD_MESSAGE');
    expect(state.yielded).toBe(0);
  });
});
