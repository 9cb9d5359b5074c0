/**
 * The one error class of ipcio. Every failure a caller can see carries a
 * stable `code` from {@link ErrorCode}; the table in docs/PROTOCOL.md documents
 * each one. Errors cross the wire as `{ code, message, remoteCode?, data? }`
 * and are rebuilt on the far side with code and message intact.
 */
export const ErrorCode = {
  // Configuration and local misuse (never sent over the wire).
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  ALREADY_STARTED: 'ALREADY_STARTED',
  RESERVED_COMMAND: 'RESERVED_COMMAND',
  DUPLICATE_HANDLER: 'DUPLICATE_HANDLER',
  // Socket location and ownership.
  DOMAIN_IN_USE: 'DOMAIN_IN_USE',
  SOCKET_PATH_TOO_LONG: 'SOCKET_PATH_TOO_LONG',
  UNSAFE_SOCKET_DIR: 'UNSAFE_SOCKET_DIR',
  LISTEN_FAILED: 'LISTEN_FAILED',
  // Handshake refusals: fatal, the client does not retry.
  NAME_TAKEN: 'NAME_TAKEN',
  AUTH_FAILED: 'AUTH_FAILED',
  /** Browser mode: the page's Origin (or the Host it used) is not the server's own; never on the wire, a close code. */
  ORIGIN_REFUSED: 'ORIGIN_REFUSED',
  PROTOCOL_VERSION: 'PROTOCOL_VERSION',
  /** The client holds a token and the server did not prove it knows it (a decoy, or a server with another or no token); found by the client, never sent. */
  SERVER_AUTH_FAILED: 'SERVER_AUTH_FAILED',
  HANDSHAKE_TIMEOUT: 'HANDSHAKE_TIMEOUT',
  /** A newer connection of the same client reclaimed its session: this one ends, and must not reclaim back. */
  SESSION_REPLACED: 'SESSION_REPLACED',
  // Limits and malformed input.
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  BAD_MESSAGE: 'BAD_MESSAGE',
  SLOW_CONSUMER: 'SLOW_CONSUMER',
  QUEUE_FULL: 'QUEUE_FULL',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  /** A client announced more command names than `commands.maxAnnounced`, or one longer than `commands.maxNameLength`. */
  COMMAND_LIST_TOO_LARGE: 'COMMAND_LIST_TOO_LARGE',
  /** A connection already has the server's `maxInFlightRequests` requests waiting; this one is answered with it. */
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  NESTING_TOO_DEEP: 'NESTING_TOO_DEEP',
  // Requests and routing.
  NO_HANDLER: 'NO_HANDLER',
  NO_SUCH_CLIENT: 'NO_SUCH_CLIENT',
  HANDLER_ERROR: 'HANDLER_ERROR',
  TIMEOUT: 'TIMEOUT',
  CANCELLED: 'CANCELLED',
  DISCONNECTED: 'DISCONNECTED',
  FORBIDDEN: 'FORBIDDEN',
  CLOSED: 'CLOSED',
  // Set-up mistakes, reported at once instead of as a TIMEOUT later.
  NOT_ATTACHED: 'NOT_ATTACHED',
  ELECTRON_MAIN_ONLY: 'ELECTRON_MAIN_ONLY',
  // Streams.
  /** The peer did not announce the protocol feature this needs (an older peer asked to stream). */
  UNSUPPORTED: 'UNSUPPORTED',
  /** A connection already has its maximum of open streams. */
  TOO_MANY_STREAMS: 'TOO_MANY_STREAMS',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const knownCodes = new Set<string>(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && knownCodes.has(value);
}

/** The JSON form of an error on the wire. */
export interface WireError {
  code: string;
  message: string;
  remoteCode?: string;
  data?: unknown;
}

export interface IpcErrorOptions {
  /** For HANDLER_ERROR: the `code` property of the error the handler threw. */
  remoteCode?: string;
  /** Extra structured detail (must be serialisable). */
  data?: unknown;
  cause?: unknown;
}

export class IpcError extends Error {
  override readonly name = 'IpcError';
  readonly code: ErrorCode;
  readonly remoteCode: string | undefined;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options: IpcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remoteCode = options.remoteCode;
    this.data = options.data;
  }

  toWire(): WireError {
    const wire: WireError = { code: this.code, message: this.message };
    if (this.remoteCode !== undefined) wire.remoteCode = this.remoteCode;
    if (this.data !== undefined) wire.data = this.data;
    return wire;
  }

  /** Rebuilds an error received from a peer; an unknown code becomes BAD_MESSAGE rather than being trusted. */
  static fromWire(wire: unknown): IpcError {
    if (typeof wire !== 'object' || wire === null) {
      return new IpcError(ErrorCode.BAD_MESSAGE, 'peer sent a malformed error');
    }
    const { code, message, remoteCode, data } = wire as Partial<WireError>;
    const text = typeof message === 'string' ? message : 'peer sent an error without a message';
    const options: IpcErrorOptions = { data };
    if (typeof remoteCode === 'string') options.remoteCode = remoteCode;
    if (!isErrorCode(code)) {
      return new IpcError(ErrorCode.BAD_MESSAGE, `peer sent unknown error code ${String(code)}: ${text}`, options);
    }
    return new IpcError(code, text, options);
  }

  /** Wraps whatever a handler threw as HANDLER_ERROR, keeping its message and own code. */
  static fromHandlerFailure(thrown: unknown): IpcError {
    // Even an IpcError thrown by a handler becomes HANDLER_ERROR: the caller must
    // not mistake a handler's own TIMEOUT for its request timing out.
    if (thrown instanceof Error) {
      const ownCode = (thrown as { code?: unknown }).code;
      return new IpcError(ErrorCode.HANDLER_ERROR, thrown.message, {
        remoteCode: ownCode === undefined ? undefined : String(ownCode),
      });
    }
    return new IpcError(ErrorCode.HANDLER_ERROR, String(thrown));
  }
}
