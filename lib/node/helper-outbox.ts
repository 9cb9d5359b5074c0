import { checkTimeoutMs, setLongTimeout } from '../common/long-timer.js';
import type { RequestOptions } from '../common/contract.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../common/client-endpoint.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

interface Held {
  send(): void;
  fail(error: IpcError): void;
}

/**
 * Messages main sends a supervised helper while it is down (starting, or
 * restarting after a crash): held in order, bounded, and sent when it is back
 * under its name. A held request's timeout counts from the call, as every
 * request's does, and its signal can take it back out.
 */
export class HelperOutbox {
  private readonly held: Held[] = [];
  private online = false;

  constructor(
    private readonly helperName: string,
    private readonly limit: number,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** Runs `send` now when the helper is connected, else holds it. */
  emit(send: () => void): void {
    if (this.online) {
      send();
      return;
    }
    this.hold({ send, fail: (error) => this.logger.warn(`[ipcio] dropped a message for helper "${this.helperName}": ${error.message}`) });
  }

  /** `send` gets the time left of the request's timeout. */
  request<T>(send: (options: RequestOptions) => Promise<T>, options: RequestOptions = {}): Promise<T> {
    if (this.online) return send(options);
    const { signal } = options;
    let timeoutMs: number;
    try {
      timeoutMs = checkTimeoutMs(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'timeoutMs');
    } catch (error) {
      return Promise.reject(error as IpcError);
    }
    const calledAt = Date.now();
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new IpcError(ErrorCode.CANCELLED, `request to "${this.helperName}" was cancelled`));
        return;
      }
      const entry: Held = {
        send: () => {
          cleanup();
          const left = timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - calledAt)) : 0;
          send({ ...options, timeoutMs: left }).then(resolve, reject);
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      const giveUp = (error: IpcError): void => {
        const index = this.held.indexOf(entry);
        if (index >= 0) this.held.splice(index, 1);
        entry.fail(error);
      };
      const timer = timeoutMs > 0
        ? setLongTimeout(() => giveUp(new IpcError(ErrorCode.TIMEOUT, `request to helper "${this.helperName}" timed out after ${timeoutMs} ms while it was down`)), timeoutMs)
        : undefined;
      const onAbort = (): void => giveUp(new IpcError(ErrorCode.CANCELLED, `request to "${this.helperName}" was cancelled`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        timer?.clear();
        signal?.removeEventListener('abort', onAbort);
      };
      this.hold(entry);
    });
  }

  /** The helper connected: send everything held, in order. */
  open(): void {
    this.online = true;
    for (const entry of this.held.splice(0)) entry.send();
  }

  close(): void {
    this.online = false;
  }

  /** The helper is stopped for good. */
  failAll(error: IpcError): void {
    this.online = false;
    for (const entry of this.held.splice(0)) entry.fail(error);
  }

  private hold(entry: Held): void {
    if (this.held.length >= this.limit) {
      entry.fail(new IpcError(ErrorCode.QUEUE_FULL, `${this.limit} messages already wait for helper "${this.helperName}"`));
      return;
    }
    this.held.push(entry);
  }
}
