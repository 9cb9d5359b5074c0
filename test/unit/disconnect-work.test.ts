import { afterEach, describe, expect, it } from 'vitest';
import { MessageKind } from '../../lib/common/messages.js';
import { ServerCore } from '../../lib/common/server-core.js';
import { quiet } from '../support/deferred.js';
import { drain, RawPeer } from '../support/memory-port.js';

/**
 * Counts the work a piece of code does on keyed collections: every Map or Set iteration started
 * (values, keys, entries, forEach, for-of) adds the collection's size, the number of entries it can
 * visit. Not time: a loaded machine cannot change the count.
 */
class CollectionWork {
  visited = 0;
  private readonly restore: (() => void)[] = [];

  start(): void {
    for (const proto of [Map.prototype, Set.prototype] as unknown as Record<string | symbol, unknown>[]) {
      for (const key of ['values', 'keys', 'entries', 'forEach', Symbol.iterator] as (string | symbol)[]) {
        const original = proto[key] as (this: { size: number }, ...args: unknown[]) => unknown;
        // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper needs both this-es
        const counter = this;
        proto[key] = function (this: { size: number }, ...args: unknown[]) {
          counter.visited += this.size;
          return original.apply(this, args);
        };
        this.restore.push(() => {
          proto[key] = original;
        });
      }
    }
  }

  stop(): void {
    for (const undo of this.restore.splice(0)) undo();
  }
}

/** Joins a peer that holds `load` requests at the server: to a handler that never settles, and through to a sink that never answers. */
async function busyServer(load: number): Promise<ServerCore> {
  const server = new ServerCore({ logger: quiet, maxInFlightRequests: 2 * load + 10 }, { hang: () => new Promise(() => undefined) });
  const sink = new RawPeer(server);
  await sink.join('sink');
  const busy = new RawPeer(server);
  await busy.join('busy');
  for (let id = 0; id < load; id += 1) busy.send({ kind: MessageKind.Request, id, cmd: 'hang' });
  for (let id = load; id < 2 * load; id += 1) busy.send({ kind: MessageKind.Request, id, cmd: 'x', to: 'sink' });
  await drain(20);
  expect(server.connection('busy')?.holding).toMatchObject({ handlerCalls: load, sentThrough: load });
  expect(server.connection('sink')?.holding.routedHere).toBe(load);
  return server;
}

/** The work of 20 connect/disconnect cycles of an unrelated peer that leaves 3 requests in flight each time. */
async function workOfUnrelatedCycles(server: ServerCore): Promise<number> {
  const work = new CollectionWork();
  let total = 0;
  for (let cycle = 0; cycle < 20; cycle += 1) {
    const passer = new RawPeer(server);
    await passer.join(`passer-${cycle}`);
    for (let id = 0; id < 3; id += 1) passer.send({ kind: MessageKind.Request, id, cmd: id === 0 ? 'hang' : 'x', to: id === 0 ? undefined : 'sink' });
    await drain();
    work.start();
    try {
      passer.port.close();
      await drain();
    } finally {
      work.stop();
    }
    expect(server.clients()).not.toContain(`passer-${cycle}`);
    total += work.visited;
    work.visited = 0;
  }
  return total;
}

describe('disconnect clean-up is proportional to the connection own work (issue 11, item 3)', () => {
  const servers: ServerCore[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('an unrelated peer leaving visits as many entries whether another peer holds 0 or 8,000 requests', async () => {
    const idle = await busyServer(0);
    const loaded = await busyServer(4_000);
    servers.push(idle, loaded);
    const idleWork = await workOfUnrelatedCycles(idle);
    const loadedWork = await workOfUnrelatedCycles(loaded);
    expect(idleWork).toBeGreaterThan(0); // the counter sees the clean-up's own work
    expect(loadedWork).toBe(idleWork);
  });

  it('the busy peer leaving releases its own 8,000 entries, and the sink its 4,000 (work grows with its own load only)', async () => {
    const server = await busyServer(4_000);
    servers.push(server);
    expect(server.connection('busy')?.holding).toMatchObject({ handlerCalls: 4_000, sentThrough: 4_000 });
    const sink = server.connection('sink')!;
    server.connection('busy')!.port.close();
    await drain();
    expect(server.clients()).not.toContain('busy');
    // The busy peer's forwarded requests left the sink's table too (and the sink was sent a cancel for each).
    expect(sink.holding.routedHere).toBe(0);
  });
});
