import { ErrorCode, IpcError } from './errors.js';
import { PROTOCOL } from './protocol.js';

/**
 * Characters a name may not contain (the one place names are checked: add rules here), by Unicode
 * general category: controls (Cc: C0, DEL, C1), format characters (Cf: bidi embeddings, overrides and
 * isolates U+202A-202E and U+2066-2069, zero-width U+200B-200F, U+FEFF, soft hyphen...), surrogates
 * (Cs: with the `u` flag a lone surrogate is matched as one), private use (Co), unassigned (Cn, as of
 * the runtime's Unicode version), line and paragraph separators (Zl, Zp: U+2028, U+2029) and every
 * space but U+0020 (Zs: no-break, ideographic and other spaces that look like one or like none).
 * The same rule is written in helpers/python/ipcio/names.py.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function firstUnprintable(name: string): string | undefined {
  const match = UNPRINTABLE.exec(name.replaceAll(' ', 'a'));
  return match?.[0];
}

function codePointLabel(character: string): string {
  return `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Why `name` cannot be a client's name on a server called `serverName`, or undefined when it can.
 * Names travel in logs, discovery and UIs: keep them printable, visible and bounded. Look-alikes:
 * a name must be in Unicode Normalization Form C, so one visible name has one spelling (an "é"
 * precomposed or as "e" + U+0301 cannot be two clients); letters of different scripts that look
 * alike (Latin "a", Cyrillic "а") are still different names, told apart only by their code points.
 */
export function peerNameProblem(name: string, serverName: string): string | undefined {
  if (name.length === 0) return 'a client name may not be empty';
  if (name.length > PROTOCOL.names.maxLength) return `a client name may have at most ${PROTOCOL.names.maxLength} characters`;
  const unprintable = firstUnprintable(name);
  if (unprintable !== undefined) {
    return `a client name may not contain control, invisible, unassigned or private-use characters nor spaces other than U+0020 (found ${codePointLabel(unprintable)})`;
  }
  if (name.normalize('NFC') !== name) return 'a client name must be in Unicode Normalization Form C (NFC)';
  if (name === serverName) return `"${name}" is the server's own name`;
  return undefined;
}

/** Throws BAD_MESSAGE when `name` cannot be a client's name. */
export function checkPeerName(name: string, serverName: string): void {
  const problem = peerNameProblem(name, serverName);
  if (problem !== undefined) throw new IpcError(ErrorCode.BAD_MESSAGE, `${JSON.stringify(name)} cannot be a client name: ${problem}`);
}

/**
 * Throws COMMAND_LIST_TOO_LARGE when a client announces more command names than `commands.maxAnnounced`
 * or one that is empty or longer than `commands.maxNameLength`: the lists are kept per peer and copied
 * into every discovery answer, so their size must be bounded.
 */
export function checkCommandList(commands: readonly string[]): void {
  const { maxAnnounced, maxNameLength } = PROTOCOL.commands;
  if (commands.length > maxAnnounced) {
    throw new IpcError(ErrorCode.COMMAND_LIST_TOO_LARGE, `${commands.length} command names announced; at most ${maxAnnounced} are accepted`);
  }
  const bad = commands.find((command) => command.length === 0 || command.length > maxNameLength);
  if (bad !== undefined) {
    throw new IpcError(ErrorCode.COMMAND_LIST_TOO_LARGE, `a command name of ${bad.length} characters was announced; names have 1 to ${maxNameLength}`);
  }
}
