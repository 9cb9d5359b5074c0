import { ErrorCode, IpcError } from './errors.js';
import { encodeFrame, FRAME_LENGTH_BYTES, type FrameDecoder } from './frame-codec.js';
import type { Message } from './messages.js';

/**
 * ipcio over a WebSocket (browser mode). Both ends import this file, so the
 * close codes and the auth message are defined once.
 *
 * A connection is:
 *   1. the HTTP upgrade to `ws://127.0.0.1:<port>/ipcio`, from a page whose
 *      `Origin` the server serves;
 *   2. the token: either `?token=` in the upgrade URL, or a first *text*
 *      message `{"token": "...", "name": "..."}` (kept out of URLs and logs);
 *   3. then binary messages only, each exactly one ipcio frame as
 *      docs/PROTOCOL.md draws it (header, JSON, blobs). WebSocket messages
 *      are already delimited, but the same frame keeps binary payloads raw and
 *      lets both sides share one codec with the socket transport.
 *
 * Refusals complete the upgrade and then close with a code from this table,
 * because a page never sees the HTTP status of a failed upgrade (only 1006).
 * A refused connection never reaches the router.
 */
export const WebSocketCloseCode = {
  /** Either side closed normally. */
  NORMAL: 1000,
  /** The server is shutting down. */
  GOING_AWAY: 1001,
  /** A text message after the auth step. */
  UNSUPPORTED_DATA: 1003,
  /** A message over maxFrameSize; sent by the ws library itself (maxPayload). */
  MESSAGE_TOO_BIG: 1009,
  /** The router ended the connection; the reason is the ipcio error code (NAME_TAKEN, BAD_MESSAGE, ...), and a fatal error frame came first. */
  IPCIO_ERROR: 4000,
  /** The name asked for is not one the server gives to pages. Reason "NAME_REFUSED". */
  NAME_REFUSED: 4400,
  /** Token missing or wrong, or a first message that is not the auth message. Reason "AUTH_FAILED". */
  AUTH_FAILED: 4401,
  /** `Origin` (or `Host`) header missing or not allowed. Reason "ORIGIN_REFUSED". */
  ORIGIN_REFUSED: 4403,
  /** No auth message within the handshake timeout. Reason "AUTH_TIMEOUT". */
  AUTH_TIMEOUT: 4408,
  /** The server's cap on open WebSockets (option maxConnections) is reached. Reason "TOO_MANY_CONNECTIONS". */
  TOO_MANY_CONNECTIONS: 4429,
} as const;

export type WebSocketCloseCode = (typeof WebSocketCloseCode)[keyof typeof WebSocketCloseCode];

/** Codes after which reconnecting cannot help: the token, origin or name will not change by retrying. */
export const PERMANENT_REFUSALS: ReadonlySet<number> = new Set([
  WebSocketCloseCode.NAME_REFUSED,
  WebSocketCloseCode.AUTH_FAILED,
  WebSocketCloseCode.ORIGIN_REFUSED,
]);

/** The path the server upgrades; anything else is a 404 before any WebSocket exists. */
export const WEBSOCKET_PATH = '/ipcio';

/** The first text message when the token is not in the URL. */
export interface WebSocketAuth {
  token: string;
  /** The name the page asks for; the server decides (see the transport's peerName). */
  name?: string;
}

/**
 * The largest WebSocket message a frame limit allows: frameLength counts the
 * bytes after its own 4-byte field, a message carries the whole frame.
 */
export function maxMessageBytes(maxFrameSize: number): number {
  return maxFrameSize + FRAME_LENGTH_BYTES;
}

/** One message as one WebSocket message: the frame's chunks joined. */
export function frameBytes(message: Message): { bytes: Uint8Array; frameLength: number } {
  const { chunks, frameLength } = encodeFrame(message);
  const bytes = new Uint8Array(FRAME_LENGTH_BYTES + frameLength);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { bytes, frameLength };
}

/**
 * Decodes one WebSocket message, which must hold exactly one whole frame: a
 * frame split over messages or two in one would mean the peer does not speak
 * this framing, so it is refused rather than reassembled.
 */
export function readFrameMessage(decoder: FrameDecoder, bytes: Uint8Array): Message {
  const messages = decoder.push(bytes);
  if (messages.length !== 1 || decoder.bufferedBytes !== 0) {
    throw new IpcError(ErrorCode.BAD_MESSAGE, `a WebSocket message must hold exactly one frame (got ${messages.length}, ${decoder.bufferedBytes} bytes left over)`);
  }
  return messages[0] as Message;
}

/** The close code for a port closed with `reason`: the ipcio code travels as the close reason. */
export function closeCodeFor(reason: IpcError | undefined): { code: number; reason: string } {
  if (reason === undefined) return { code: WebSocketCloseCode.NORMAL, reason: '' };
  if (reason.code === ErrorCode.CLOSED) return { code: WebSocketCloseCode.GOING_AWAY, reason: ErrorCode.CLOSED };
  return { code: WebSocketCloseCode.IPCIO_ERROR, reason: reason.code };
}

/** The IpcError a closed WebSocket stands for on the page's side; undefined for a plain close. */
export function errorForClose(code: number, reason: string): IpcError | undefined {
  switch (code) {
    case WebSocketCloseCode.NORMAL:
      return undefined;
    case WebSocketCloseCode.AUTH_FAILED:
    case WebSocketCloseCode.AUTH_TIMEOUT:
      return new IpcError(ErrorCode.AUTH_FAILED, `the server refused the connection (${code} ${reason || 'AUTH_FAILED'}): token missing or wrong`);
    case WebSocketCloseCode.ORIGIN_REFUSED:
      return new IpcError(ErrorCode.ORIGIN_REFUSED, `the server refused the connection (${code} ${reason || 'ORIGIN_REFUSED'}): this page's origin is not allowed`);
    case WebSocketCloseCode.NAME_REFUSED:
      return new IpcError(ErrorCode.AUTH_FAILED, `the server refused the connection (${code} ${reason || 'NAME_REFUSED'}): the name is not allowed`);
    case WebSocketCloseCode.TOO_MANY_CONNECTIONS:
      return new IpcError(ErrorCode.TOO_MANY_CONNECTIONS, `the server refused the connection (${code}): it has as many pages connected as it allows`);
    case WebSocketCloseCode.MESSAGE_TOO_BIG:
      return new IpcError(ErrorCode.FRAME_TOO_LARGE, `the server closed the connection: a message was over its limit (${code})`);
    default:
      return new IpcError(ErrorCode.DISCONNECTED, `the WebSocket closed (${code}${reason ? ` ${reason}` : ''})`);
  }
}
