import type { Readable } from 'node:stream';

/** Default longest output line of a helper kept whole, in bytes; the rest of a longer line is dropped. */
export const DEFAULT_MAX_OUTPUT_LINE_BYTES = 16 * 1024;

export type OutputLine =
  /** A whole line, without its newline. */
  | { kind: 'line'; text: string }
  /** The first maxLineBytes of a longer line, passed on as soon as the bound is reached. */
  | { kind: 'cut'; text: string }
  /** The end of a cut line: how long it was (its newline not counted). */
  | { kind: 'cut-end'; lineBytes: number };

/**
 * A helper's stdout or stderr, line by line, holding at most `maxLineBytes`
 * of a line at any time: a line longer than that is cut (its head is passed on
 * at once, the rest counted and dropped up to the next newline), so a helper
 * writing gigabytes without a newline costs main one bounded buffer, never the
 * gigabytes (readline kept them all and died with "Invalid string length").
 */
export function readBoundedLines(stream: Readable, maxLineBytes: number, onLine: (line: OutputLine) => void): void {
  const held = Buffer.alloc(maxLineBytes);
  let heldBytes = 0;
  /** Bytes of the line under way once it was cut; -1 while it is still whole. */
  let dropping = -1;

  const emit = (kind: 'line' | 'cut', end: number): void => {
    // A cut may fall inside a UTF-8 sequence: decoding turns the piece into U+FFFD, never throws.
    let text = held.toString('utf8', 0, end);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    onLine({ kind, text });
  };

  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      if (dropping >= 0) {
        dropping += end - start;
      } else {
        const room = maxLineBytes - heldBytes;
        const take = Math.min(room, end - start);
        chunk.copy(held, heldBytes, start, start + take);
        heldBytes += take;
        if (take < end - start) {
          // Over the bound: pass the head on now, count the rest until the newline.
          emit('cut', heldBytes);
          dropping = maxLineBytes + (end - start - take);
          heldBytes = 0;
        }
      }
      if (newline === -1) break;
      if (dropping >= 0) onLine({ kind: 'cut-end', lineBytes: dropping });
      else emit('line', heldBytes);
      heldBytes = 0;
      dropping = -1;
      start = newline + 1;
    }
  });
  stream.on('end', () => {
    if (dropping >= 0) onLine({ kind: 'cut-end', lineBytes: dropping });
    else if (heldBytes > 0) emit('line', heldBytes);
    heldBytes = 0;
    dropping = -1;
  });
}
