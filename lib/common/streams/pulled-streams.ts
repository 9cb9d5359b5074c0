import { ErrorCode, IpcError } from '../errors.js';

/**
 * Streams across a boundary that cannot carry an AsyncIterator, such as
 * contextBridge (it copies plain data and functions only). The side that owns
 * the real streams (the preload) keeps them here under numeric handles and
 * exposes three plain functions, `open → handle`, `pull(handle)` and
 * `cancel(handle)`; the other side (the page) wraps those into a real
 * AsyncIterable with {@link iterableFromPulls}.
 */
export class PulledStreams {
  private nextHandle = 1;
  private readonly streams = new Map<number, AsyncIterator<unknown, unknown>>();

  constructor(private readonly maxStreams: number) {}

  /** Keeps `stream` and returns its handle; TOO_MANY_STREAMS past the bound (a page cannot pile them up). */
  add(stream: AsyncIterator<unknown, unknown>): number {
    if (this.streams.size >= this.maxStreams) {
      void stream.return?.();
      throw new IpcError(ErrorCode.TOO_MANY_STREAMS, `this window already has ${this.streams.size} streams open (maxStreams)`);
    }
    const handle = this.nextHandle++;
    this.streams.set(handle, stream);
    return handle;
  }

  /** The next item as plain data; the handle is forgotten once the stream is done or failed. */
  async pull(handle: number): Promise<{ done: boolean; value?: unknown }> {
    const stream = this.streams.get(handle);
    if (!stream) return { done: true };
    try {
      const step = await stream.next();
      if (step.done === true) {
        this.streams.delete(handle);
        return { done: true };
      }
      return { done: false, value: step.value };
    } catch (error) {
      this.streams.delete(handle);
      throw error;
    }
  }

  /** The page broke out of its loop or aborted: the stream is cancelled. */
  async cancel(handle: number): Promise<void> {
    const stream = this.streams.get(handle);
    this.streams.delete(handle);
    await stream?.return?.();
  }

  /** The page reloaded or navigated: every stream it had is cancelled at once. */
  cancelAll(): void {
    for (const stream of this.streams.values()) void stream.return?.();
    this.streams.clear();
  }

  get size(): number {
    return this.streams.size;
  }
}

export interface StreamPulls {
  pull(): Promise<{ done: boolean; value?: unknown }>;
  cancel(): Promise<void> | void;
}

/**
 * The page side: a real AsyncIterable over pull functions. `break`/`return()`
 * calls `cancel` once; `mapError` rebuilds errors that crossed the bridge
 * (e.g. from their `"CODE: message"` text).
 */
export function iterableFromPulls<T>(pulls: StreamPulls, mapError: (error: unknown) => unknown = (error) => error): AsyncIterableIterator<T, undefined> {
  let finished = false;
  const iterator: AsyncIterableIterator<T, undefined> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next() {
      if (finished) return { done: true, value: undefined };
      let step: { done: boolean; value?: unknown };
      try {
        step = await pulls.pull();
      } catch (error) {
        finished = true;
        throw mapError(error);
      }
      if (step.done) {
        finished = true;
        return { done: true, value: undefined };
      }
      return { done: false, value: step.value as T };
    },
    async return() {
      if (!finished) {
        finished = true;
        await pulls.cancel();
      }
      return { done: true, value: undefined };
    },
  };
  return iterator;
}
