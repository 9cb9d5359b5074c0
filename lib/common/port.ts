import type { IpcError } from './errors.js';
import type { Message } from './messages.js';

/**
 * The one interface every transport adapts to: a Unix socket, a MessagePort,
 * a WebSocket. The server routes between ports and never asks which kind a
 * peer came through.
 */
export interface Port {
  /** Sends one message. Throws IpcError FRAME_TOO_LARGE (connection kept) or CLOSED. */
  send(message: Message): void;
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
  /** `reason` says why, when the port itself failed (bad frame, slow consumer). */
  onClose(reason?: IpcError): void;
}
