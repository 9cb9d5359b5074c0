import { ErrorCode, IpcError } from './errors.js';

/**
 * How deep arrays and objects may nest in one message, the message object
 * itself counting as the first level (docs/PROTOCOL.md, "Nesting"). Every
 * client must decode this much: Python's json gives up near 1,000 levels,
 * V8's JSON.stringify near 4,000; 128 leaves both a wide margin and is far
 * beyond any real payload. The server refuses deeper messages from a peer
 * (NESTING_TOO_DEEP, fatal, as for BAD_MESSAGE), so it never relays one; a
 * sender refuses them locally, before anything is sent.
 */
export const MAX_NESTING_DEPTH = 128;

/** Throws NESTING_TOO_DEEP when `value` nests arrays or objects deeper than the limit. */
export function checkNesting(value: unknown, what: string, maxDepth: number = MAX_NESTING_DEPTH): void {
  if (!withinDepth(value, maxDepth)) throw nestingTooDeep(what, maxDepth);
}

export function nestingTooDeep(what: string, maxDepth: number): IpcError {
  return new IpcError(ErrorCode.NESTING_TOO_DEEP, `${what} nests arrays or objects more than ${maxDepth} levels deep`, { data: { maxDepth } });
}

/**
 * JSON text shorter than this cannot nest past the limit: every level takes an opening and a
 * closing bracket. Compared with the UTF-8 length, which is never less than the character count.
 */
export const MIN_JSON_BYTES_TOO_DEEP = 2 * (MAX_NESTING_DEPTH + 1);

/** Recursion stops at the limit, so the stack never goes deeper than maxDepth frames. */
function withinDepth(value: unknown, levelsLeft: number): boolean {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return true;
  if (levelsLeft === 0) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null && !withinDepth(item, levelsLeft - 1)) return false;
    return true;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && !withinDepth(item, levelsLeft - 1)) return false;
  }
  return true;
}
