/**
 * Text a peer chose (an error message, a name, a helper's output line) made
 * safe to put in main's log: one line, no terminal control sequences, and
 * bounded, so a peer can neither forge log lines, recolour or clear the
 * developer's terminal, nor fill the disk.
 */

/** Longest peer text kept in one log entry, in UTF-16 code units (escapes included). */
export const MAX_LOG_TEXT_CHARS = 1000;

/*
 * Escaped: C0 controls (newlines, ESC, ...), DEL, C1 controls (U+0080-U+009F,
 * where U+009B is a one-character CSI), line and paragraph separators, bidi
 * embeddings, overrides and isolates, zero-width and invisible format
 * characters, the BOM, and lone surrogates.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeOne(char: string): string {
  switch (char) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

/**
 * `text` with every unsafe character escaped as `\n`, `\r`, `\t` or `\uXXXX`
 * (and a backslash doubled, so an escape in the log cannot be forged), cut to
 * `maxChars` with a note of how much was left out.
 */
export function logSafe(text: unknown, maxChars: number = MAX_LOG_TEXT_CHARS): string {
  const raw = typeof text === 'string' ? text : String(text);
  // Every character takes at least one place in the output: more than maxChars + 1 cannot matter.
  const head = raw.length > maxChars ? raw.slice(0, maxChars + 1) : raw;
  let out = '';
  // Whole characters only (a surrogate pair stays whole), escaped one by one: a cut never leaves half of either.
  for (const unit of head.match(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g) ?? []) {
    const safe = unit === '\\' ? '\\\\' : unit.length === 1 ? unit.replace(UNSAFE, escapeOne) : unit;
    if (out.length + safe.length > maxChars) return `${out}… [${raw.length} chars, cut to ${out.length}]`;
    out += safe;
  }
  return head.length < raw.length ? `${out}… [${raw.length} chars, cut to ${out.length}]` : out;
}
