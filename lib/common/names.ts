import { ErrorCode, IpcError } from './errors.js';
import { PROTOCOL } from './protocol.js';

// The control characters a name may not contain (the one place names are checked: add rules here).
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Why `name` cannot be a client's name on a server called `serverName`, or undefined when it can.
 * Names travel in logs and discovery: keep them printable and bounded.
 */
export function peerNameProblem(name: string, serverName: string): string | undefined {
  if (name.length === 0) return 'a client name may not be empty';
  if (name.length > PROTOCOL.names.maxLength) return `a client name may have at most ${PROTOCOL.names.maxLength} characters`;
  if (CONTROL_CHARACTERS.test(name)) return 'a client name may not contain control characters';
  if (name === serverName) return `"${name}" is the server's own name`;
  return undefined;
}

/** Throws BAD_MESSAGE when `name` cannot be a client's name. */
export function checkPeerName(name: string, serverName: string): void {
  const problem = peerNameProblem(name, serverName);
  if (problem !== undefined) throw new IpcError(ErrorCode.BAD_MESSAGE, `"${name}" cannot be a client name: ${problem}`);
}
