import { ErrorCode, IpcError } from '../errors.js';
import { MessageKind, type StreamEndMessage, type StreamItemMessage, type StreamToProducerMessage } from '../messages.js';
import { DEFAULT_STREAM_WINDOW, MAX_STREAM_CREDIT } from './stream-limits.js';

export interface StreamOptions {
  /** Items that may be in flight or unread at once (1 to 1024, default 16): the producer runs at most this far ahead. */
  window?: number;
  /** Milliseconds the producer may take to send the next item while it holds credit (from the open, the last item or the last grant); then TIMEOUT. 0 or absent: none. */
  idleTimeoutMs?: number;
  /** Aborting it cancels the stream: the loop throws CANCELLED and the producer's signal fires. */
  signal?: AbortSignal;
}

/** How a stream ended: `undefined` when the producer finished normally, else the error. Reported exactly once. */
export type StreamSettled = (consumer: StreamConsumer<unknown>, error: IpcError | undefined) => void;

interface Waiter<T> {
  resolve(result: IteratorResult<T, undefined>): void;
  reject(error: IpcError): void;
}

const DONE: IteratorResult<never, undefined> = { done: true, value: undefined };

/**
 * The consuming side of one stream: an AsyncIterator over the producer's items.
 *
 * Credit: at open it grants `window`; as the reader takes items it grants
 * again once half the window is free, so items in flight plus items unread
 * never exceed the window. The protocol ends once (end received, cancel sent,
 * or dispose), reported to `onSettled`; the reader still gets items already
 * received before an end or a disconnect, then the error, then done.
 */
export class StreamConsumer<T> implements AsyncIterableIterator<T, undefined> {
  private readonly buffer: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  /** Credit granted that the producer has not used yet. */
  private outstanding = 0;
  private settled = false;
  /** The error the reader gets after the buffer (once), when the stream failed. */
  private finalError: IpcError | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly window: number;
  private readonly idleTimeoutMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.stop(cancelled(this.description, this.signal?.reason));

  constructor(
    readonly id: number,
    /** For error messages: `stream "tail" to hasher`. */
    readonly description: string,
    private readonly send: (message: StreamToProducerMessage) => void,
    options: StreamOptions,
    private readonly onSettled: StreamSettled,
  ) {
    this.window = checkWindow(options.window ?? DEFAULT_STREAM_WINDOW);
    const idleTimeoutMs = options.idleTimeoutMs ?? 0;
    if (!(idleTimeoutMs >= 0)) throw new IpcError(ErrorCode.INVALID_ARGUMENT, `idleTimeoutMs must be a non-negative number, got ${idleTimeoutMs}`);
    this.idleTimeoutMs = idleTimeoutMs;
    this.signal = options.signal;
  }

  /** The credit to put in `stream-open`; call once, right before sending it. Returns 0 if the signal already aborted (then send nothing). */
  begin(): number {
    if (this.signal?.aborted) {
      this.settle(cancelled(this.description, this.signal.reason));
      return 0;
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.outstanding = this.window;
    this.armIdleTimer();
    return this.window;
  }

  /** The `stream-open` could not be sent (too large, bad binary path, connection gone). */
  failToOpen(error: IpcError): void {
    this.settle(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T, undefined>> {
    if (this.buffer.length > 0) {
      const value = this.buffer.shift() as T;
      this.grantIfHalfFree();
      return Promise.resolve({ done: false, value });
    }
    if (this.settled) return this.terminal();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** `break` out of a `for await` lands here: cancels the producer if the stream is still running. */
  return(): Promise<IteratorResult<T, undefined>> {
    this.stop(cancelled(this.description));
    this.finalError = undefined;
    this.buffer.length = 0;
    return Promise.resolve(DONE);
  }

  throw(): Promise<IteratorResult<T, undefined>> {
    return this.return();
  }

  /** True once the protocol side is over (the reader may still have items to take). */
  get ended(): boolean {
    return this.settled;
  }

  receive(message: StreamItemMessage | StreamEndMessage): void {
    if (this.settled) return; // late: sent before our cancel reached the producer
    if (message.kind === MessageKind.StreamEnd) {
      this.settle(message.error === undefined ? undefined : IpcError.fromWire(message.error));
      this.releaseWaiters();
      return;
    }
    if (this.outstanding === 0) {
      this.stop(new IpcError(ErrorCode.BAD_MESSAGE, `${this.description}: the producer sent an item without credit`));
      return;
    }
    this.outstanding -= 1;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ done: false, value: message.data as T });
      this.grantIfHalfFree();
    } else {
      this.buffer.push(message.data as T);
    }
    this.armIdleTimer();
  }

  /** The connection went away (DISCONNECTED) or was closed (CLOSED): no message is sent. */
  dispose(reason: IpcError): void {
    if (this.settled) return;
    this.settle(reason);
    this.releaseWaiters();
  }

  /** Ends the stream from this side: tells the producer, drops what is unread, and fails the waiting reads with `error`. */
  private stop(error: IpcError): void {
    if (this.settled) return;
    this.buffer.length = 0;
    this.settle(error);
    try {
      this.send({ kind: MessageKind.StreamCancel, id: this.id });
    } catch {
      // The connection is going; its dispose ends the producer's side.
    }
    this.releaseWaiters();
  }

  private settle(error: IpcError | undefined): void {
    if (this.settled) return;
    this.settled = true;
    this.finalError = error;
    this.outstanding = 0;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.onSettled(this as StreamConsumer<unknown>, error);
  }

  /** Waiters exist only while the buffer is empty, so after the end each gets the terminal result. */
  private releaseWaiters(): void {
    while (this.buffer.length === 0 && this.waiters.length > 0) {
      const waiter = this.waiters.shift() as Waiter<T>;
      const error = this.finalError;
      this.finalError = undefined;
      if (error) waiter.reject(error);
      else waiter.resolve(DONE);
    }
  }

  private terminal(): Promise<IteratorResult<T, undefined>> {
    const error = this.finalError;
    this.finalError = undefined;
    return error ? Promise.reject(error) : Promise.resolve(DONE);
  }

  private grantIfHalfFree(): void {
    if (this.settled) return;
    const free = this.window - this.outstanding - this.buffer.length;
    if (free < Math.ceil(this.window / 2)) return;
    this.outstanding += free;
    try {
      this.send({ kind: MessageKind.StreamCredit, id: this.id, n: free });
    } catch (error) {
      this.stop(error instanceof IpcError ? error : new IpcError(ErrorCode.DISCONNECTED, String(error)));
      return;
    }
    this.armIdleTimer();
  }

  /** The idle clock runs only while the producer holds credit: a consumer that is not reading is not the producer's fault. */
  private armIdleTimer(): void {
    if (this.idleTimeoutMs === 0) return;
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.settled || this.outstanding === 0) return;
    this.idleTimer = setTimeout(() => {
      this.stop(new IpcError(ErrorCode.TIMEOUT, `${this.description}: no item for ${this.idleTimeoutMs} ms`));
    }, this.idleTimeoutMs);
  }
}

function checkWindow(window: number): number {
  if (!Number.isSafeInteger(window) || window < 1 || window > MAX_STREAM_CREDIT) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, `a stream window must be an integer from 1 to ${MAX_STREAM_CREDIT}, got ${window}`);
  }
  return window;
}

function cancelled(description: string, reason?: unknown): IpcError {
  if (reason instanceof IpcError && reason.code === ErrorCode.CANCELLED) return reason;
  return new IpcError(ErrorCode.CANCELLED, `${description} was cancelled`);
}
