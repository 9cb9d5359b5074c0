import { ErrorCode, IpcError } from './errors.js';
import { clampTimerDelayMs } from './long-timer.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: IpcError): void;
}

/**
 * Calls made while a client is offline that need the next connection itself
 * (a stream lives on one connection), not a place in the offline queue. Each
 * waits at most `timeoutMs` (0: no limit) and until its signal aborts; all
 * fail with the client's reason when it stops.
 */
export class OnlineWaiters<T> {
  private readonly waiters = new Set<Waiter<T>>();

  constructor(private readonly timeoutMs: number) {}

  wait(description: string, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new IpcError(ErrorCode.CANCELLED, `${description} was cancelled before it opened`));
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => finish(() => reject(new IpcError(ErrorCode.CANCELLED, `${description} was cancelled before it opened`)));
      const finish = (settle: () => void): void => {
        if (!this.waiters.delete(waiter)) return;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      const waiter: Waiter<T> = {
        resolve: (value) => finish(() => resolve(value)),
        reject: (error) => finish(() => reject(error)),
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.timeoutMs > 0) {
        const delayMs = clampTimerDelayMs(this.timeoutMs, 'requestTimeoutMs');
        timer = setTimeout(() => waiter.reject(new IpcError(ErrorCode.TIMEOUT, `${description}: not connected within ${this.timeoutMs} ms`)), delayMs);
      }
    });
  }

  resolveAll(value: T): void {
    for (const waiter of [...this.waiters]) waiter.resolve(value);
  }

  rejectAll(error: IpcError): void {
    for (const waiter of [...this.waiters]) waiter.reject(new IpcError(error.code, error.message));
  }
}
