import { ErrorCode, IpcError } from '../node/index.js';

/** The exit statuses scripts may rely on; docs/CLI.md and `ipcio --help` list the same table. */
export const ExitCode = {
  OK: 0,
  /** Bad flags or arguments, bad JSON, or another local failure. */
  USAGE: 1,
  /** No server to reach, or it refused us (AUTH_FAILED, NAME_TAKEN, ...), or the connection was lost. */
  CONNECTION: 2,
  /** The server or the target client answered with an error (NO_HANDLER, HANDLER_ERROR, ...). */
  REMOTE: 3,
  TIMEOUT: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake in how the tool was called; main prints it with a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const LOCAL: ReadonlySet<string> = new Set([ErrorCode.INVALID_ARGUMENT, ErrorCode.SOCKET_PATH_TOO_LONG, ErrorCode.RESERVED_COMMAND, ErrorCode.DUPLICATE_HANDLER]);
const CONNECTION: ReadonlySet<string> = new Set([
  ErrorCode.AUTH_FAILED,
  ErrorCode.NAME_TAKEN,
  ErrorCode.PROTOCOL_VERSION,
  ErrorCode.HANDSHAKE_TIMEOUT,
  ErrorCode.DISCONNECTED,
  ErrorCode.CLOSED,
  ErrorCode.UNSAFE_SOCKET_DIR,
  ErrorCode.DOMAIN_IN_USE,
  ErrorCode.LISTEN_FAILED,
]);

/**
 * The exit status for an error. DISCONNECTED maps to 2 here; a command that
 * knows its own connection is still up (the *target* went away) uses 3 instead.
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (!(error instanceof IpcError)) return ExitCode.USAGE;
  if (error.code === ErrorCode.TIMEOUT) return ExitCode.TIMEOUT;
  if (LOCAL.has(error.code)) return ExitCode.USAGE;
  if (CONNECTION.has(error.code)) return ExitCode.CONNECTION;
  return ExitCode.REMOTE;
}

/** `CODE: message` on one line: the first word is what a script matches on. */
export function describeError(error: unknown): string {
  if (error instanceof IpcError) {
    const remote = error.remoteCode === undefined ? '' : ` (remote code: ${error.remoteCode})`;
    return `${error.code}: ${error.message}${remote}`;
  }
  if (error instanceof UsageError) return `ipcio: ${error.message}`;
  return `ipcio: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
