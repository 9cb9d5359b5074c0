import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HandlerContainer } from '../../../lib/common/contract.js';
import { ErrorCode, IpcError } from '../../../lib/common/errors.js';
import { MessageKind } from '../../../lib/common/messages.js';
import type { StreamConsumer } from '../../../lib/common/streams/stream-consumer.js';
import type { StreamEndpoint } from '../../../lib/common/streams/stream-endpoint.js';
import { directPair, EndCounter, routedTrio, Wire } from '../../support/stream-link.js';

/**
 * Random interleavings of everything that can happen to streams: reads,
 * frame deliveries, consumer cancels and aborts, producers that finish or
 * throw, connections that drop. Whatever the order, every stream ends exactly
 * once on each side, the producer never runs further ahead of the reader than
 * the window, and nothing is left running afterwards.
 */

const STREAMS = 3;

type Op =
  | { op: 'read'; s: number }
  | { op: 'deliver'; count: number }
  | { op: 'tick' }
  | { op: 'return'; s: number }
  | { op: 'abort'; s: number }
  | { op: 'producerThrows'; s: number }
  | { op: 'producerFinishes'; s: number }
  | { op: 'dropConsumerLink' }
  | { op: 'dropProducerLink' };

const stream = fc.integer({ min: 0, max: STREAMS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: stream.map((s) => ({ op: 'read' as const, s })) },
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 6 }).map((count) => ({ op: 'deliver' as const, count })) },
  { weight: 4, arbitrary: fc.constant({ op: 'tick' as const }) },
  { weight: 1, arbitrary: stream.map((s) => ({ op: 'return' as const, s })) },
  { weight: 1, arbitrary: stream.map((s) => ({ op: 'abort' as const, s })) },
  { weight: 1, arbitrary: stream.map((s) => ({ op: 'producerThrows' as const, s })) },
  { weight: 1, arbitrary: stream.map((s) => ({ op: 'producerFinishes' as const, s })) },
  { weight: 1, arbitrary: fc.constant({ op: 'dropConsumerLink' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'dropProducerLink' as const }) },
);

interface ReaderLog {
  read: number;
  rejections: string[];
  /** A value after the reader already saw done or an error: must never happen. */
  afterEnd: number;
  over: boolean;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function run(routed: boolean, windows: number[], ops: Op[]): Promise<void> {
  const wire = new Wire(false);
  const ends = new EndCounter();
  const plan: ('run' | 'throw' | 'finish')[] = windows.map(() => 'run');
  const bodies = { entered: 0, finallyRan: 0, handlerCalls: 0 };
  const producerHandler = async function* ({ data }: HandlerContainer<never>) {
    bodies.entered += 1;
    const index = (data as { s: number }).s;
    try {
      for (let i = 0; ; i += 1) {
        await Promise.resolve();
        if (plan[index] === 'throw') throw Object.assign(new Error('producer failed'), { code: 'E_PLAN' });
        if (plan[index] === 'finish') return;
        yield i;
      }
    } finally {
      bodies.finallyRan += 1;
    }
  };
  const handlers = {
    gen: (container: HandlerContainer<never>) => {
      bodies.handlerCalls += 1;
      return producerHandler(container);
    },
  };
  let consumerSide: StreamEndpoint;
  let links: StreamEndpoint[][];
  if (routed) {
    const trio = routedTrio(wire, { name: 'viewer' }, { name: 'sensor', handlers }, undefined, ends);
    consumerSide = trio.consumer;
    links = [[trio.consumer, trio.serverToConsumer], [trio.producer, trio.serverToProducer]];
  } else {
    const pair = directPair(wire, { name: 'client' }, { name: 'server', handlers }, ends);
    consumerSide = pair.a;
    links = [[pair.a, pair.b], [pair.a, pair.b]];
  }
  const controllers = windows.map(() => new AbortController());
  const consumers: StreamConsumer<number>[] = windows.map((window, s) =>
    consumerSide.open<number>('gen', { s }, { window, signal: (controllers[s] as AbortController).signal, ...(routed ? { to: 'sensor' } : {}) }),
  );
  const readers: ReaderLog[] = windows.map(() => ({ read: 0, rejections: [], afterEnd: 0, over: false }));
  const itemsSent = windows.map(() => 0);
  const consumerIds = consumers.map((c) => c.id);

  // The window check on every frame the producer side sends: items sent minus items read never exceed the window.
  const producerName = routed ? 'sensor' : 'server';
  const checkWindow = (): void => {
    for (const entry of wire.log.splice(0)) {
      if (entry.message.kind !== MessageKind.StreamItem || entry.from !== producerName) continue;
      const s = streamIndexOfProducerId(entry.message.id);
      itemsSent[s] = (itemsSent[s] as number) + 1;
      expect((itemsSent[s] as number) - (readers[s] as ReaderLog).read).toBeLessThanOrEqual(windows[s] as number);
    }
  };
  // Producer-side ids: direct, they are the consumer's ids; routed, the server numbered them in open order (1, 2, 3).
  const streamIndexOfProducerId = (id: number): number => (routed ? id - 1 : consumerIds.indexOf(id));

  const read = (s: number): void => {
    const reader = readers[s] as ReaderLog;
    (consumers[s] as StreamConsumer<number>).next().then(
      (step) => {
        if (step.done === true) {
          reader.over = true;
        } else if (reader.over) {
          reader.afterEnd += 1;
        } else {
          reader.read += 1;
        }
      },
      (error: unknown) => {
        if (reader.over) reader.afterEnd += 1;
        reader.rejections.push((error as IpcError).code);
        reader.over = true;
      },
    );
  };

  const drop = (link: StreamEndpoint[]): void => {
    const lost = new IpcError(ErrorCode.DISCONNECTED, 'link dropped');
    for (const endpoint of link) endpoint.dispose(lost);
  };

  for (const op of ops) {
    switch (op.op) {
      case 'read':
        read(op.s);
        break;
      case 'deliver':
        for (let i = 0; i < op.count && wire.deliverOne(); i += 1) checkWindow();
        break;
      case 'tick':
        await tick();
        break;
      case 'return':
        await (consumers[op.s] as StreamConsumer<number>).return();
        break;
      case 'abort':
        (controllers[op.s] as AbortController).abort();
        break;
      case 'producerThrows':
        plan[op.s] = 'throw';
        break;
      case 'producerFinishes':
        plan[op.s] = 'finish';
        break;
      case 'dropConsumerLink':
        drop(links[0] as StreamEndpoint[]);
        break;
      case 'dropProducerLink':
        drop(links[1] as StreamEndpoint[]);
        break;
    }
    checkWindow();
  }

  // Wind down: deliver everything, read what is left, then end whatever still runs.
  const quiesce = async (): Promise<void> => {
    for (let rounds = 0; rounds < 10_000; rounds += 1) {
      await tick();
      if (wire.deliverOne()) {
        checkWindow();
        continue;
      }
      await tick();
      if (wire.pending === 0) return;
    }
    throw new Error('the wire never went quiet');
  };
  await quiesce();
  for (const consumer of consumers) await consumer.return();
  await quiesce();
  for (const link of links) drop(link);
  await quiesce();

  for (const [s, id] of consumerIds.entries()) {
    const reader = readers[s] as ReaderLog;
    expect(ends.count(routed ? 'viewer' : 'client', 'consumer', id)).toBe(1);
    expect(reader.afterEnd).toBe(0);
    expect(reader.rejections.length).toBeLessThanOrEqual(1);
  }
  const producerEnds = ends.ends.filter((e) => e.role === 'producer');
  // Every handler that ran ended exactly once; ids are distinct per producer.
  expect(producerEnds.length).toBe(bodies.handlerCalls);
  expect(new Set(producerEnds.map((e) => e.id)).size).toBe(producerEnds.length);
  if (routed) {
    const relayEnds = ends.ends.filter((e) => e.role === 'relay');
    expect(new Set(relayEnds.map((e) => e.id)).size).toBe(relayEnds.length);
  }
  // No generator left suspended: every body that started has run its finally.
  expect(bodies.finallyRan).toBe(bodies.entered);
  for (const link of links) for (const endpoint of link) expect(endpoint.size).toBe(0);
}

describe('streams under random interleavings (fast-check)', () => {
  for (const routed of [false, true]) {
    it(`${routed ? 'routed through the server' : 'between two peers'}: every stream ends once on both sides, within its window`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: STREAMS, maxLength: STREAMS }), fc.array(opArb, { maxLength: 60 }), (windows, ops) =>
          run(routed, windows, ops),
        ),
        { numRuns: 150 },
      );
    });
  }
});
