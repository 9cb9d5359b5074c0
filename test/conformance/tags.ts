import { Buffer } from 'node:buffer';

/**
 * JSON lines cannot carry bytes, so drivers and scenarios write them as
 * `{"$bytes": "<base64>"}`; and `{"$repeat": {"text", "times"}}` in a step
 * stands for a long string the runner expands before anything is sent.
 */
export function expandRepeats(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(expandRepeats);
  if (typeof value !== 'object' || value === null) return value;
  const repeat = (value as { $repeat?: { text: string; times: number } }).$repeat;
  if (repeat && Object.keys(value).length === 1) return repeat.text.repeat(repeat.times);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, expandRepeats(item)]));
}

/** Tagged JSON → values with real bytes (for the in-process server). */
export function fromTagged(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromTagged);
  if (typeof value !== 'object' || value === null) return value;
  const bytes = (value as { $bytes?: unknown }).$bytes;
  if (typeof bytes === 'string' && Object.keys(value).length === 1) return Buffer.from(bytes, 'base64');
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromTagged(item)]));
}

/** Values with bytes → tagged JSON; undefined (no data) becomes null, as it does on the wire. */
export function toTagged(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(toTagged);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toTagged(item)]));
}
