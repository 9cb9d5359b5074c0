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

/** An AbortSignal, or the function-based shape that crosses contextBridge (`bridgeSignal`). */
export interface PullAbortSignal {
  readonly aborted: boolean;
  onAbort(listener: () => void): () => void;
}

/**
 * The page side: a real AsyncIterable over pull functions. `break`/`return()`
 * calls `cancel` once; an aborted `signal` cancels too and the loop throws
 * CANCELLED; `mapError` rebuilds errors that crossed the bridge (e.g. from
 * their `"CODE: message"` text).
 */
export function iterableFromPulls<T>(
  pulls: StreamPulls,
  mapError: (error: unknown) => unknown = (error) => error,
  signal?: PullAbortSignal,
): AsyncIterableIterator<T, undefined> {
  let finished = false;
  let abortError: IpcError | undefined;
  let rejectWaiting: ((error: IpcError) => void) | undefined;
  const cancelOnce = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    stopListening?.();
    await pulls.cancel();
  };
  const onAbort = (): void => {
    if (finished) return;
    abortError = new IpcError(ErrorCode.CANCELLED, 'the stream was cancelled');
    rejectWaiting?.(abortError);
    void cancelOnce();
  };
  const stopListening = signal?.onAbort(onAbort);
  if (signal?.aborted) onAbort();
  const iterator: AsyncIterableIterator<T, undefined> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    async next() {
      if (abortError) {
        const error = abortError;
        abortError = undefined;
        throw error;
      }
      if (finished) return { done: true, value: undefined };
      let step: { done: boolean; value?: unknown };
      try {
        step = await new Promise<{ done: boolean; value?: unknown }>((resolve, reject) => {
          rejectWaiting = reject;
          pulls.pull().then(resolve, (error: unknown) => reject(mapError(error)));
        });
      } catch (error) {
        if (error === abortError) abortError = undefined;
        finished = true;
        stopListening?.();
        throw error;
      } finally {
        rejectWaiting = undefined;
      }
      if (step.done) {
        finished = true;
        stopListening?.();
        return { done: true, value: undefined };
      }
      return { done: false, value: step.value as T };
    },
    async return() {
      await cancelOnce();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}

/** A stream that failed before it could open (no such client, closed): its first `next()` throws `error`, then done. */
export function failedStream<T>(error: IpcError): AsyncIterableIterator<T, undefined> {
  let thrown = false;
  const iterator: AsyncIterableIterator<T, undefined> = {
    [Symbol.asyncIterator]() {
      return iterator;
    },
    next() {
      if (thrown) return Promise.resolve({ done: true, value: undefined });
      thrown = true;
      return Promise.reject(error);
    },
    return() {
      thrown = true;
      return Promise.resolve({ done: true, value: undefined });
    },
  };
  return iterator;
}
