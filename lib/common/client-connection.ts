import { ErrorCode, IpcError } from './errors.js';
import { HandlerCalls, type ContainerFields } from './handler-calls.js';
import type { HandlerRegistry } from './handler-registry.js';
import { MessageKind, type HelloMessage, type Message, type RequestMessage } from './messages.js';
import type { Port } from './port.js';
import type { ClientTokenProof } from './token-proof.js';
import { StreamEndpoint } from './streams/stream-endpoint.js';

/** What a connection reports to the client endpoint that opened it. */
export interface ConnectionOwner {
  onMessage(connection: Connection, message: Message): void;
  /** Called once, when the port closed (whoever closed it). */
  onClosed(connection: Connection, reason?: IpcError): void;
  /** Called after a message went out, for verbose traces. */
  traceSent(message: Message): void;
}

/**
 * One connection attempt of a client: its port, its handshake timer and the
 * handler calls that arrived on it. A handler's answer goes out only on the
 * connection its request came in on, and only while that connection is open
 * and the request not cancelled: a reconnect never carries an old answer to
 * a new request that happens to have the same id.
 */
export class Connection {
  /** Handler calls for requests that came in on this connection, by the server's id for them. */
  readonly calls: HandlerCalls;
  /** Set when the client holds a token: its nonce, and whether the server proved the token. */
  tokenProof: ClientTokenProof | undefined;
  /** Streams on this connection, from the welcome on; they end with it and never move to the next one. */
  streams: StreamEndpoint | undefined;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private notified = false;

  constructor(
    readonly port: Port,
    registry: HandlerRegistry,
    private readonly owner: ConnectionOwner,
  ) {
    this.calls = new HandlerCalls(registry);
  }

  /** False once the connection was closed by either side. */
  get open(): boolean {
    return !this.closed;
  }

  /** Starts delivery and says hello; without a welcome within `handshakeTimeoutMs` the connection closes. */
  start(hello: HelloMessage, handshakeTimeoutMs: number): void {
    this.port.attach({
      onMessage: (message) => {
        if (!this.closed) this.owner.onMessage(this, message);
      },
      onClose: (reason) => this.onPortClosed(reason),
    });
    if (this.closed) return; // the port was already gone when attached
    this.handshakeTimer = setTimeout(() => {
      this.close(new IpcError(ErrorCode.HANDSHAKE_TIMEOUT, `no welcome within ${handshakeTimeoutMs} ms`));
    }, handshakeTimeoutMs);
    this.send(hello);
  }

  /** The welcome arrived: the handshake timer stops, frames are bounded by the server's limit, streams may start. */
  welcomed(maxFrameSize: number, serverName: string, serverSpeaksStreams: boolean): void {
    clearTimeout(this.handshakeTimer);
    this.port.maxOutgoingFrameSize = maxFrameSize;
    this.streams = new StreamEndpoint({
      send: (message) => {
        if (!this.send(message)) throw new IpcError(ErrorCode.DISCONNECTED, 'the connection to the server is closed');
      },
      peerSpeaksStreams: serverSpeaksStreams,
      peerName: serverName,
    });
  }

  /**
   * Hands one message to the port. False when the connection is closed (or turned out closed: the
   * message was not sent); any other failure (too large) is thrown.
   */
  send(message: Message): boolean {
    if (this.closed) return false;
    try {
      this.port.send(message);
    } catch (error) {
      if (error instanceof IpcError && error.code === ErrorCode.CLOSED) return false;
      throw error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error));
    }
    this.owner.traceSent(message);
    return true;
  }

  /** Runs the handler for a request that came in on this connection; its answer goes back on it or nowhere. */
  answer(request: RequestMessage, fields: ContainerFields): void {
    this.calls.request(request.id, request.cmd, fields, (outcome) => {
      const id = request.id;
      try {
        if (outcome.error) this.send({ kind: MessageKind.Response, id, error: outcome.error.toWire() });
        else this.send({ kind: MessageKind.Response, id, data: outcome.data });
      } catch (error) {
        // The result could not be sent (too large, say): the requester still gets an answer.
        try {
          this.send({ kind: MessageKind.Response, id, error: (error as IpcError).toWire() });
        } catch {
          // Not even the error fits; the server answers the requester when this connection ends.
        }
      }
    });
  }

  /** Closes the connection; handler calls on it abort and their answers are dropped. Idempotent. */
  close(reason?: IpcError): void {
    if (this.closed) return;
    this.release(reason ?? new IpcError(ErrorCode.DISCONNECTED, 'the connection was closed'));
    this.port.close(reason);
  }

  private onPortClosed(reason?: IpcError): void {
    this.release(new IpcError(ErrorCode.DISCONNECTED, `connection to the server was lost${reason ? `: ${reason.message}` : ''}`));
    if (this.notified) return;
    this.notified = true;
    this.owner.onClosed(this, reason);
  }

  private release(reason: IpcError): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.handshakeTimer);
    this.calls.cancelAll(reason);
    this.streams?.dispose(reason);
  }
}
