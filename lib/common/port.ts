import type { IpcError } from './errors.js';
import type { Message } from './messages.js';
import type { SharedMessage } from './shared-message.js';

/**
 * The one interface every transport adapts to: a Unix socket, a MessagePort,
 * a WebSocket. The server routes between ports and never asks which kind a
 * peer came through.
 *
 * The contract every implementation keeps (test/unit/port-contract.test.ts
 * runs the same checks against SocketPort, MessagePortPort, WebSocketPort and
 * the in-memory test port):
 *
 * 1. Delivery: messages reach the far receiver's `onMessage` in the order they
 *    were sent, each once, never synchronously inside `send`. Messages that
 *    arrive before `attach` are held and delivered after it.
 * 2. `onClose` fires exactly once per port, whoever ended the connection (this
 *    side's `close`, the far side, the transport failing), also when the port
 *    closed before `attach` (then during or after `attach`). After `onClose`
 *    no `onMessage` follows. It may run synchronously inside `close()`
 *    (MessagePort, WebSocket: the router frees the name at once) or later
 *    (socket: after its buffered frames are written); receivers must accept
 *    both, so every clean-up they run from it is idempotent.
 * 3. `close(reason)` is idempotent; `reason` reaches this side's `onClose`
 *    (the far side gets none, or what its transport reports). Messages sent
 *    before `close` still reach the far side before its `onClose` (a fatal
 *    `error` followed by `close` is how a refusal is told).
 * 4. `send` after this side's `close` (or after `onClose`) throws IpcError
 *    CLOSED and sends nothing. A message too large for the peer throws
 *    FRAME_TOO_LARGE (or INVALID_ARGUMENT for what a MessagePort cannot
 *    clone) and the connection is kept.
 */
export interface Port {
  /** Sends one message. Throws IpcError FRAME_TOO_LARGE (connection kept) or CLOSED. */
  send(message: Message): void;
  /**
   * Sends a message many ports send unchanged (a broadcast), reusing the
   * bytes another port of the same kind already encoded; same errors and
   * ordering as `send`. A port without it is sent `shared.message`.
   */
  sendShared?(shared: SharedMessage): void;
  /** Starts delivery; messages that arrived earlier are held until then. Call once. */
  attach(receiver: PortReceiver): void;
  /** Closes the connection; the receiver's onClose fires once, with `reason` if given. */
  close(reason?: IpcError): void;
  /** Largest frame the far side accepts; set by the client from the welcome. */
  maxOutgoingFrameSize?: number;
  /** The seed's `socket` for handler containers (a net.Socket), or null for non-socket peers. */
  readonly socket: unknown;
}

export interface PortReceiver {
  onMessage(message: Message): void;
  /** `reason` says why, when the port itself failed (bad frame, slow consumer). Fires exactly once. */
  onClose(reason?: IpcError): void;
}
