import { PROTOCOL } from './protocol.js';
export interface ReconnectOptions {
  /** First retry delay, and the floor of every delay. */
  minMs: number;
  /** Ceiling of the delay however many attempts failed. */
  maxMs: number;
}

export const DEFAULT_RECONNECT: ReconnectOptions = { minMs: PROTOCOL.defaults.reconnectMinMs, maxMs: PROTOCOL.defaults.reconnectMaxMs };

/**
 * Exponential backoff with jitter: the ceiling doubles per failed attempt and
 * the delay is drawn from its upper half, so clients that lost the same server
 * do not all come back in the same millisecond.
 */
export function backoffDelayMs(attempt: number, { minMs, maxMs }: ReconnectOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs, Math.round(ceiling / 2 + random() * (ceiling / 2)));
}
