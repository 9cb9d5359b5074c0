import { ErrorCode, IpcError } from './errors.js';

/**
 * setTimeout takes at most 2^31 - 1 ms (about 24.8 days); given more, or
 * Infinity, Node and browsers fire after 1 ms. A user's timeout goes through
 * here instead: longer delays are chained, Infinity never fires, and what is
 * not a number of milliseconds is refused.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
  /** Lets the process exit while only this timer is waiting (Node). */
  unref(): LongTimer;
}

/** Throws INVALID_ARGUMENT for NaN, a negative or a non-number timeout; Infinity is accepted (never). */
export function checkTimeoutMs(value: unknown, what: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, `${what} must be a number of milliseconds, 0 or more (Infinity for none); got ${String(value)}`);
  }
  return value;
}

export function setLongTimeout(callback: () => void, delayMs: number): LongTimer {
  let handle: ReturnType<typeof setTimeout> | undefined;
  let unrefd = false;
  const deadlineMs = Date.now() + delayMs;
  const arm = (leftMs: number): void => {
    if (!Number.isFinite(leftMs)) return;
    if (leftMs <= MAX_TIMER_DELAY_MS) {
      handle = setTimeout(callback, Math.max(0, leftMs));
    } else {
      handle = setTimeout(() => arm(deadlineMs - Date.now()), MAX_TIMER_DELAY_MS);
    }
    if (unrefd) unrefHandle(handle);
  };
  arm(delayMs);
  const timer: LongTimer = {
    clear: () => {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    },
    unref: () => {
      unrefd = true;
      if (handle !== undefined) unrefHandle(handle);
      return timer;
    },
  };
  return timer;
}

function unrefHandle(handle: ReturnType<typeof setTimeout>): void {
  (handle as { unref?: () => void }).unref?.();
}

/**
 * For a timeout that goes to setTimeout as it is (handshake timeouts): checked like any user timeout,
 * and held to the longest delay setTimeout takes (about 24.8 days), so Infinity or 2^31 ms mean "as
 * long as possible" rather than "after 1 ms".
 */
export function clampTimerDelayMs(value: unknown, what: string): number {
  return Math.min(checkTimeoutMs(value, what), MAX_TIMER_DELAY_MS);
}
