/**
 * The protocol's shared constants: the ONE source that the TypeScript core
 * reads, that helpers/python/ipcio/protocol.json copies (scripts/write-protocol-json.mjs
 * writes it; test/unit/protocol-constants.test.ts checks the copy and the
 * tables in docs/PROTOCOL.md agree with this object).
 */
export const PROTOCOL = {
  version: 1,
  /**
   * Codes after which retrying cannot succeed: a client that gets one of them in a fatal `error`
   * without a `retry` field stops (servers always send `retry`; this is its default per code).
   */
  stopCodes: ['NAME_TAKEN', 'AUTH_FAILED', 'PROTOCOL_VERSION', 'BAD_MESSAGE', 'SESSION_REPLACED', 'UNSAFE_SOCKET_DIR', 'SOCKET_PATH_TOO_LONG', 'NOT_ATTACHED', 'ORIGIN_REFUSED', 'COMMAND_LIST_TOO_LARGE', 'SERVER_AUTH_FAILED'],
  names: {
    /**
     * Peer names: 1 to maxLength UTF-16 code units, in Unicode NFC, with no character of general
     * category Cc, Cf, Cs, Co, Cn, Zl, Zp, nor Zs other than U+0020 (lib/common/names.ts, PROTOCOL.md).
     */
    maxLength: 128,
    /** A client may not take the server's own name (by default "server"). */
    defaultServerName: 'server',
  },
  commands: {
    /** Commands the seed library used internally; a handler may not take them. */
    reserved: ['handshake', 'discover', 'broadcast', 'emit', 'delivery', 'error'],
    /** Prefix of ipcio's own built-in commands (`ipcio:discover`); handlers may not use it. */
    internalPrefix: 'ipcio:',
    /** A client announces (in `hello` or `commands`) at most maxAnnounced names, each of 1 to maxNameLength UTF-16 code units. */
    maxAnnounced: 1024,
    maxNameLength: 128,
  },
  domains: {
    /** Letters, digits, '.', '_' and '-', 1 to 64 characters. */
    pattern: '^[A-Za-z0-9._-]{1,64}$',
  },
  requestIds: {
    /** Request ids are integers in [0, 2^53 - 1]. */
    min: 0,
    max: 9007199254740991,
  },
  defaults: {
    handshakeTimeoutMs: 5000,
    requestTimeoutMs: 30000,
    /** Reconnect backoff: the ceiling doubles per failed attempt from minMs up to maxMs; the delay is drawn from its upper half. */
    reconnectMinMs: 50,
    reconnectMaxMs: 2000,
    /** Offline queue bounds of a client. */
    queueMessages: 10000,
    queueBytes: 67108864,
    maxFrameSize: 67108864,
    minPeerMaxFrameSize: 1024,
    /**
     * Requests one connection may have waiting at the server at once (server handlers running for it,
     * and requests it sent to other peers through the server); one more is answered TOO_MANY_REQUESTS.
     */
    maxInFlightRequests: 4096,
  },
} as const;
