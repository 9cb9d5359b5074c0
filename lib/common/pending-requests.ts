import { ErrorCode, IpcError } from './errors.js';
import type { RequestOptions } from './contract.js';
import { checkTimeoutMs, setLongTimeout } from './long-timer.js';

export interface PendingRequest {
  readonly id: number;
  /** True once the request was written to the connection (so a disconnect fails it). */
  sent: boolean;
  /** Extra bookkeeping the owner attaches (the queue entry, the target peer). */
  tag: unknown;
}

interface Entry extends PendingRequest {
  resolve(value: unknown): void;
  reject(error: IpcError): void;
  cleanup(): void;
}

/**
 * Requests this side made and awaits. The clock starts at the call, whether
 * the request goes out now or waits in a queue. Timeout and abort both
 * reject locally and tell the owner, which sends a cancel if the request was
 * already sent.
 */
export class PendingRequests {
  private nextId = 1;
  private readonly entries = new Map<number, Entry>();

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
    let entry!: Entry;
    const promise = new Promise<unknown>((resolve, reject) => {
      entry = { id, sent: false, tag, resolve, reject, cleanup: () => undefined };
    });
    const { signal } = options;
    if (signal?.aborted) {
      entry.reject(cancelled(description));
      return { request: entry, promise };
    }
    let timeoutMs: number;
    try {
      timeoutMs = checkTimeoutMs(options.timeoutMs ?? this.defaultTimeoutMs, 'timeoutMs');
    } catch (error) {
      entry.reject(error as IpcError);
      return { request: entry, promise };
    }
    // Through setLongTimeout: 2^31 ms or more (Infinity: never) must not fire after 1 ms as setTimeout would.
    const timer = timeoutMs > 0 ? setLongTimeout(() => this.giveUp(id, new IpcError(ErrorCode.TIMEOUT, `${description} timed out after ${timeoutMs} ms`)), timeoutMs) : undefined;
    const onAbort = (): void => this.giveUp(id, cancelled(description));
    signal?.addEventListener('abort', onAbort, { once: true });
    entry.cleanup = () => {
      timer?.clear();
      signal?.removeEventListener('abort', onAbort);
    };
    this.entries.set(id, entry);
    return { request: entry, promise };
  }

  get(id: number): PendingRequest | undefined {
    return this.entries.get(id);
  }

  resolve(id: number, value: unknown): void {
    this.take(id)?.resolve(value);
  }

  reject(id: number, error: IpcError): void {
    this.take(id)?.reject(error);
  }

  /** Rejects every request matching `which` (all when omitted). */
  rejectWhere(error: IpcError, which: (request: PendingRequest) => boolean = () => true): void {
    for (const entry of [...this.entries.values()]) {
      if (which(entry)) this.reject(entry.id, error);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private giveUp(id: number, error: IpcError): void {
    const entry = this.take(id);
    if (!entry) return;
    entry.reject(error);
    this.onGiveUp(entry);
  }

  private take(id: number): Entry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    entry.cleanup();
    return entry;
  }
}

function cancelled(description: string): IpcError {
  return new IpcError(ErrorCode.CANCELLED, `${description} was cancelled`);
}
