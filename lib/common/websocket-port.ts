import { ErrorCode, IpcError } from './errors.js';
import { FrameDecoder } from './frame-codec.js';
import { fatalErrorMessage, type Message } from './messages.js';
import type { Port, PortReceiver } from './port.js';
import type { SharedMessage } from './shared-message.js';
import { closeCodeFor, errorForClose, frameBytes, readFrameMessage, WebSocketCloseCode } from './websocket-protocol.js';

/** WebSocket.OPEN in both the DOM and the `ws` package. */
const OPEN = 1;

/** The fields of a MessageEvent and a CloseEvent the port reads. */
type Listener = (event: { data?: unknown; code?: number; reason?: string }) => void;

/**
 * The part of a WebSocket the port uses. The DOM's WebSocket and the `ws`
 * package's both have it (ws emulates addEventListener, and gives binary
 * messages as a Buffer, text ones as a string), so one adapter serves the
 * page and the server.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message' | 'close', listener: Listener): void;
  removeEventListener(type: 'message' | 'close', listener: Listener): void;
}

export interface WebSocketPortOptions {
  /** Largest frame accepted from the peer (the server also gives ws this as maxPayload). */
  maxFrameSize: number;
  /** Bytes the peer may leave unread before it is dropped with SLOW_CONSUMER. */
  maxPendingWriteBytes?: number;
  /** A page's: a message it cannot decode is reported here and skipped (see FrameDecoderOptions). */
  onUndecodable?: (error: IpcError) => void;
}

/**
 * An open, authenticated WebSocket as a Port: one binary message per frame,
 * both ways. It listens from construction and holds what arrives until
 * attach(), so nothing sent right after the auth step is lost.
 */
export class WebSocketPort implements Port {
  readonly socket = null;
  maxOutgoingFrameSize: number | undefined;
  private readonly decoder: FrameDecoder;
  private readonly maxPendingWriteBytes: number;
  private receiver: PortReceiver | undefined;
  private early: Message[] = [];
  private earlyClose: { reason: IpcError | undefined } | undefined;
  private closed = false;
  /** Set when the decoder skipped the frame of the message being read. */
  private skipped = false;
  private readonly onMessageEvent: Listener = (event) => this.receive(event.data);
  private readonly onCloseEvent: Listener = (event) => this.finish(errorForClose(event.code ?? WebSocketCloseCode.NORMAL, event.reason ?? ''));

  constructor(
    private readonly ws: WebSocketLike,
    options: WebSocketPortOptions,
  ) {
    const { onUndecodable } = options;
    this.decoder = new FrameDecoder({
      maxFrameSize: options.maxFrameSize,
      onUndecodable: onUndecodable
        ? (error) => {
            this.skipped = true;
            onUndecodable(error);
          }
        : undefined,
    });
    this.maxPendingWriteBytes = options.maxPendingWriteBytes ?? Number.POSITIVE_INFINITY;
    ws.addEventListener('message', this.onMessageEvent);
    ws.addEventListener('close', this.onCloseEvent);
  }

  attach(receiver: PortReceiver): void {
    this.receiver = receiver;
    const early = this.early;
    this.early = [];
    for (const message of early) {
      if (this.closed) break;
      receiver.onMessage(message);
    }
    if (this.earlyClose) receiver.onClose(this.earlyClose.reason);
    else if (this.ws.readyState !== OPEN) this.finish(undefined);
  }

  send(message: Message): void {
    if (this.closed || this.ws.readyState !== OPEN) throw new IpcError(ErrorCode.CLOSED, 'WebSocket is closed');
    this.sendBytes(message, frameBytes(message));
  }

  /** The same bytes for every WebSocket peer of a broadcast: encoded once. */
  sendShared(shared: SharedMessage): void {
    if (this.closed || this.ws.readyState !== OPEN) throw new IpcError(ErrorCode.CLOSED, 'WebSocket is closed');
    this.sendBytes(shared.message, shared.encodedBy(frameBytes));
  }

  private sendBytes(message: Message, { bytes, frameLength }: { bytes: Uint8Array; frameLength: number }): void {
    if (this.maxOutgoingFrameSize !== undefined && frameLength > this.maxOutgoingFrameSize) {
      throw new IpcError(
        ErrorCode.FRAME_TOO_LARGE,
        `${message.kind} of ${frameLength} bytes exceeds the peer's limit of ${this.maxOutgoingFrameSize}`,
        { data: { frameLength, maxFrameSize: this.maxOutgoingFrameSize } },
      );
    }
    this.ws.send(bytes);
    if (this.ws.bufferedAmount > this.maxPendingWriteBytes) {
      this.close(new IpcError(ErrorCode.SLOW_CONSUMER, `peer left more than ${this.maxPendingWriteBytes} bytes unread`));
    }
  }

  close(reason?: IpcError): void {
    if (this.closed) return;
    const { code, reason: text } = closeCodeFor(reason);
    try {
      this.ws.close(code, text);
    } catch {
      // Already closing.
    }
    this.finish(reason);
  }

  private receive(data: unknown): void {
    if (this.closed) return;
    let message: Message;
    this.skipped = false;
    try {
      message = readFrameMessage(this.decoder, binaryOf(data));
    } catch (error) {
      // One whole frame that could not be decoded, already reported: the connection goes on.
      if (this.skipped && this.decoder.bufferedBytes === 0) return;
      this.failWith(error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error)), typeof data === 'string');
      return;
    }
    if (this.receiver) this.receiver.onMessage(message);
    else this.early.push(message);
  }

  /** The peer broke the framing: tell it why in a last frame, then close. */
  private failWith(error: IpcError, wasText: boolean): void {
    try {
      this.send(fatalErrorMessage(error));
    } catch {
      // Already closing.
    }
    if (wasText) {
      try {
        this.ws.close(WebSocketCloseCode.UNSUPPORTED_DATA, error.code);
      } catch {
        // Already closing.
      }
    }
    this.close(error);
  }

  /** Closing happens once, from either side; the receiver hears of it at once, not after the close handshake. */
  private finish(reason: IpcError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.removeEventListener('message', this.onMessageEvent);
    this.ws.removeEventListener('close', this.onCloseEvent);
    if (this.receiver) this.receiver.onClose(reason);
    else this.earlyClose = { reason };
  }
}

/** A binary message as bytes: ArrayBuffer (DOM, or ws with binaryType "arraybuffer") or a Buffer view (ws). */
function binaryOf(data: unknown): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new IpcError(ErrorCode.BAD_MESSAGE, 'text WebSocket message after the auth step: frames travel as binary messages');
}
