import { describe, expect, it } from 'vitest';
import type { HandlerContainer } from '../../../lib/common/contract.js';
import { IpcError, type ErrorCode } from '../../../lib/common/errors.js';
import { parseBridgeError } from '../../../lib/common/renderer-api.js';
import { failedStream, iterableFromPulls, PulledStreams } from '../../../lib/common/streams/pulled-streams.js';
import { directPair, Wire } from '../../support/stream-link.js';

/**
 * The contextBridge shape: the preload keeps real streams under handles and
 * exposes plain functions; the page wraps them into an AsyncIterable. Here
 * the two halves are joined by structuredClone, which copies what
 * contextBridge would (plain data; errors lose their class).
 */
function bridge(table: PulledStreams, handle: number) {
  return iterableFromPulls<number>(
    {
      // The preload side: plain data out; an error only as its "CODE(remoteCode): message" text, all contextBridge keeps.
      pull: async () => {
        try {
          return structuredClone(await table.pull(handle));
        } catch (error) {
          const e = error as IpcError;
          throw structuredClone(new Error(`${e.code}${e.remoteCode === undefined ? '' : `(${e.remoteCode})`}: ${e.message}`));
        }
      },
      cancel: () => table.cancel(handle),
    },
    // The page side reads the code back.
    (error) => {
      const parsed = parseBridgeError(error);
      return parsed ? new IpcError(parsed.code as ErrorCode, parsed.message, { remoteCode: parsed.remoteCode }) : error;
    },
  );
}

function endless() {
  const state = { finallyRan: false, aborted: false };
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const handler = async function* ({ signal }: HandlerContainer<never>) {
    signal.addEventListener('abort', () => (state.aborted = true));
    try {
      for (let i = 0; ; i += 1) yield i;
    } finally {
      state.finallyRan = true;
      finished();
    }
  };
  return { state, handler, done };
}

describe('streams across a bridge (pull functions)', () => {
  it('the page gets a real AsyncIterable, and break cancels the producer', async () => {
    const { state, handler, done } = endless();
    const { a } = directPair(new Wire(true), { name: 'preload' }, { name: 'main', handlers: { n: handler } });
    const table = new PulledStreams(8);
    const handle = table.add(a.open('n'));
    const got: number[] = [];
    for await (const n of bridge(table, handle)) {
      got.push(n);
      if (n === 4) break;
    }
    expect(got).toEqual([0, 1, 2, 3, 4]);
    await done;
    expect(state).toEqual({ finallyRan: true, aborted: true });
    expect(table.size).toBe(0);
  });

  it('a reload cancels every stream of the window at once', async () => {
    const one = endless();
    const two = endless();
    const { a } = directPair(new Wire(true), { name: 'preload' }, { name: 'main', handlers: { one: one.handler, two: two.handler } });
    const table = new PulledStreams(8);
    const first = bridge(table, table.add(a.open('one')));
    const second = bridge(table, table.add(a.open('two')));
    await first.next();
    await second.next();
    table.cancelAll();
    await Promise.all([one.done, two.done]);
    expect([one.state.aborted, two.state.aborted]).toEqual([true, true]);
    expect(await first.next()).toEqual({ done: true, value: undefined });
  });

  it('errors cross as their code text; the page bound is TOO_MANY_STREAMS', async () => {
    const { a } = directPair(new Wire(true), { name: 'preload' }, {
      name: 'main',
      handlers: {
        broken: async function* () {
          throw Object.assign(new Error('nope'), { code: 'E_NOPE' });
        },
      },
    });
    const table = new PulledStreams(1);
    const page = bridge(table, table.add(a.open('broken')));
    await expect(page.next()).rejects.toMatchObject({ code: 'HANDLER_ERROR', remoteCode: 'E_NOPE', message: 'nope' });
    table.add(a.open('broken'));
    expect(() => table.add(a.open('broken'))).toThrow(expect.objectContaining({ code: 'TOO_MANY_STREAMS' }));
  });
});

describe('page-side signals and failed streams', () => {
  it('a bridged signal cancels the stream: the waiting read throws CANCELLED and the producer stops', async () => {
    const { state, handler, done } = endless();
    const { a } = directPair(new Wire(true), { name: 'preload' }, { name: 'main', handlers: { n: handler } });
    const table = new PulledStreams(8);
    const handle = table.add(a.open('n', undefined, { window: 1 }));
    // The function-based signal shape that crosses contextBridge.
    const listeners: (() => void)[] = [];
    const signal = { aborted: false, onAbort: (listener: () => void) => (listeners.push(listener), () => undefined) };
    const page = iterableFromPulls<number>({ pull: () => table.pull(handle), cancel: () => table.cancel(handle) }, undefined, signal);
    expect(await page.next()).toEqual({ done: false, value: 0 });
    const codes: string[] = [];
    try {
      for await (const n of page) if (n === 3) for (const listener of listeners) listener();
    } catch (error) {
      codes.push((error as IpcError).code);
    }
    expect(codes).toEqual(['CANCELLED']);
    await done;
    expect(state.aborted).toBe(true);
    expect(table.size).toBe(0);
  });

  it('failedStream throws its error once, then is done', async () => {
    const stream = failedStream(new IpcError('NO_SUCH_CLIENT' as ErrorCode, 'nobody'));
    await expect(stream.next()).rejects.toMatchObject({ code: 'NO_SUCH_CLIENT' });
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });
});
