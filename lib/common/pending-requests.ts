import { ErrorCode, IpcError } from './errors.js';
import type { RequestOptions } from './contract.js';
import { checkTimeoutMs } from './long-timer.js';
import { RequestDeadlines, type Timed } from './request-deadlines.js';

export interface PendingRequest {
  readonly id: number;
  /** True once the request was written to the connection (so a disconnect fails it). */
  sent: boolean;
  /** Extra bookkeeping the owner attaches (the queue entry, the target peer). */
  tag: unknown;
}

/** One awaited request: its settle functions, and what to undo when it settles (an abort listener). */
class Entry implements PendingRequest, Timed {
  sent = false;
  live = true;
  deadlineAt = 0;
  timed = false;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;

  constructor(
    readonly id: number,
    public tag: unknown,
    readonly description: string,
    readonly timeoutMs: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: IpcError) => void,
  ) {}
}

/**
 * Requests this side made and awaits. The clock starts at the call, whether
 * the request goes out now or waits in a queue. Timeout and abort both
 * reject locally and tell the owner, which sends a cancel if the request was
 * already sent. Timeouts share one timer (RequestDeadlines).
 */
export class PendingRequests {
  private nextId = 1;
  /** Made on first use, as the deadlines: a server holds one PendingRequests per idle peer (heap per client). */
  private entries: Map<number, Entry> | undefined;
  private deadlines: RequestDeadlines<Entry> | undefined;

  constructor(
    private readonly defaultTimeoutMs: number,
    /** Called after a timeout or abort rejected a request, so the owner can cancel or unqueue it. */
    private readonly onGiveUp: (request: PendingRequest) => void,
  ) {}

  /** A fresh id from the same counter, for requests this side forwards rather than awaits. */
  allocateId(): number {
    return this.nextId++;
  }

  create(description: string, options: RequestOptions = {}, tag?: unknown): { request: PendingRequest; promise: Promise<unknown> } {
    const id = this.nextId++;
    let settle!: { resolve: (value: unknown) => void; reject: (error: IpcError) => void };
    const promise = new Promise<unknown>((resolve, reject) => {
      settle = { resolve, reject };
    });
    let timeoutMs: number;
    try {
      timeoutMs = checkTimeoutMs(options.timeoutMs ?? this.defaultTimeoutMs, 'timeoutMs');
    } catch (error) {
      settle.reject(error as IpcError);
      return { request: { id, sent: false, tag }, promise };
    }
    const entry = new Entry(id, tag, description, timeoutMs, settle.resolve, settle.reject);
    const { signal } = options;
    if (signal?.aborted) {
      entry.live = false;
      entry.reject(cancelled(description));
      return { request: entry, promise };
    }
    // 0 and Infinity: no timeout; 2^31 ms or more waits as long as asked (RequestDeadlines re-arms).
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      entry.timed = true;
      (this.deadlines ??= new RequestDeadlines<Entry>((timedOut) =>
        this.giveUp(timedOut.id, new IpcError(ErrorCode.TIMEOUT, `${timedOut.description} timed out after ${timedOut.timeoutMs} ms`)),
      )).add(entry, timeoutMs);
    }
    if (signal) {
      const onAbort = (): void => this.giveUp(id, cancelled(description));
      signal.addEventListener('abort', onAbort, { once: true });
      entry.signal = signal;
      entry.onAbort = onAbort;
    }
    (this.entries ??= new Map()).set(id, entry);
    return { request: entry, promise };
  }

  get(id: number): PendingRequest | undefined {
    return this.entries?.get(id);
  }

  resolve(id: number, value: unknown): void {
    this.take(id)?.resolve(value);
  }

  reject(id: number, error: IpcError): void {
    this.take(id)?.reject(error);
  }

  /** Rejects every request matching `which` (all when omitted). */
  rejectWhere(error: IpcError, which: (request: PendingRequest) => boolean = () => true): void {
    if (!this.entries) return;
    for (const entry of [...this.entries.values()]) {
      if (which(entry)) this.reject(entry.id, error);
    }
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  private giveUp(id: number, error: IpcError): void {
    const entry = this.take(id);
    if (!entry) return;
    entry.reject(error);
    this.onGiveUp(entry);
  }

  private take(id: number): Entry | undefined {
    const entry = this.entries?.get(id);
    if (!entry) return undefined;
    this.entries?.delete(id);
    entry.live = false;
    if (entry.timed) this.deadlines?.settled();
    if (entry.onAbort) entry.signal?.removeEventListener('abort', entry.onAbort);
    return entry;
  }
}

function cancelled(description: string): IpcError {
  return new IpcError(ErrorCode.CANCELLED, `${description} was cancelled`);
}
