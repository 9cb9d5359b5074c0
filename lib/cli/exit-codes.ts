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
  ErrorCode.SERVER_AUTH_FAILED,
  ErrorCode.NAME_TAKEN,
  ErrorCode.PROTOCOL_VERSION,
  ErrorCode.HANDSHAKE_TIMEOUT,
  ErrorCode.DISCONNECTED,
  ErrorCode.CLOSED,
  ErrorCode.UNSAFE_SOCKET_DIR,
  ErrorCode.DOMAIN_IN_USE,
  ErrorCode.LISTEN_FAILED,
]);

/** Errors that ended the handshake: whatever their code (BAD_MESSAGE for a name the server refuses), they exit 2. */
const handshakeFailures = new WeakSet<IpcError>();

/** Marks an error as the reason the connection could not be set up. */
export function handshakeFailure(error: IpcError): IpcError {
  handshakeFailures.add(error);
  return error;
}

/** DISCONNECTED errors that came while our own connection was still up: the target went away. */
const targetLosses = new WeakSet<IpcError>();

/**
 * Marks a DISCONNECTED that came while our connection is still up: the target
 * went away, the remote side's failure (3), not ours (2). Returns the error, to rethrow.
 */
export function targetFailure(error: unknown, stillConnected: boolean): unknown {
  if (stillConnected && error instanceof IpcError && error.code === ErrorCode.DISCONNECTED) targetLosses.add(error);
  return error;
}

/**
 * The exit status for an error. DISCONNECTED maps to 2 here, unless marked
 * by targetFailure (our connection was up, the *target* went away): 3.
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return ExitCode.USAGE;
  if (!(error instanceof IpcError)) return ExitCode.USAGE;
  if (handshakeFailures.has(error)) return ExitCode.CONNECTION;
  if (targetLosses.has(error)) return ExitCode.REMOTE;
  if (error.code === ErrorCode.TIMEOUT) return ExitCode.TIMEOUT;
  if (LOCAL.has(error.code)) return ExitCode.USAGE;
  if (CONNECTION.has(error.code)) return ExitCode.CONNECTION;
  return ExitCode.REMOTE;
}

/** What to try next, for the refusals a person at a terminal can fix. */
const HINTS: Partial<Record<string, string>> = {
  [ErrorCode.AUTH_FAILED]: "pass the server's token with --token T or, kept out of ps, the IPCIO_TOKEN variable",
  [ErrorCode.SERVER_AUTH_FAILED]: "the token given (--token or IPCIO_TOKEN) is not this server's, or whoever listens there is not the server meant: check the token and --socket/--domain",
  [ErrorCode.NAME_TAKEN]: 'choose another --name, or leave it out for a unique ipcio-cli-<pid>',
  [ErrorCode.DOMAIN_IN_USE]: 'stop that server first, or serve another --domain',
};

/**
 * `CODE: message` on one line: the first word is what a script matches on.
 * Local mistakes (a bad domain name, a socket path too long) are usage
 * errors and start with `ipcio:` like the others, their code in brackets.
 */
export function describeError(error: unknown): string {
  if (error instanceof IpcError) {
    if (LOCAL.has(error.code)) return `ipcio: ${error.message} (${error.code})`;
    const remote = error.remoteCode === undefined ? '' : ` (remote code: ${error.remoteCode})`;
    const hint = HINTS[error.code];
    return `${error.code}: ${error.message}${remote}${hint === undefined ? '' : `; ${hint}`}`;
  }
  if (error instanceof UsageError) return `ipcio: ${error.message}`;
  return `ipcio: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
