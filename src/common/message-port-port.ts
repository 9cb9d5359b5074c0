import { ErrorCode, IpcError } from './errors.js';
import { MessageKind, type Message } from './messages.js';
import { validateMessage } from './message-validation.js';
import type { Port, PortReceiver } from './port.js';

type Listener = (event: unknown) => void;

/**
 * What the adapter needs of a message port. DOM ports and Node's worker_threads
 * ports have `addEventListener` (events carry `data`); Electron's
 * MessagePortMain and ParentPort only have `on`, and their events are
 * `{ data, ports }` too, so the payload is always `event.data`.
 */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  start?(): void;
  close(): void;
  addEventListener?(type: 'message' | 'close', listener: Listener): void;
  removeEventListener?(type: 'message' | 'close', listener: Listener): void;
  on?(event: 'message' | 'close', listener: Listener): unknown;
  off?(event: 'message' | 'close', listener: Listener): unknown;
  removeListener?(event: 'message' | 'close', listener: Listener): unknown;
}

/**
 * A MessagePort as a Port. Structured clone carries messages, Uint8Array
 * included, so there is no framing; what arrives is still from another
 * process (a renderer may be compromised), so it is validated before anyone
 * trusts a field.
 */
export class MessagePortPort implements Port {
  readonly socket = null;
  private receiver: PortReceiver | undefined;
  private closed = false;
  private readonly onMessageEvent: Listener = (event) => this.receive((event as { data?: unknown }).data);
  private readonly onCloseEvent: Listener = () => this.finish(undefined);

  constructor(private readonly port: MessagePortLike) {}

  attach(receiver: PortReceiver): void {
    this.receiver = receiver;
    this.listen('message', this.onMessageEvent);
    this.listen('close', this.onCloseEvent);
    // Ports queue what arrives until started; Electron's MessagePortMain needs it explicitly.
    this.port.start?.();
  }

  send(message: Message): void {
    if (this.closed) throw new IpcError(ErrorCode.CLOSED, 'port is closed');
    try {
      this.port.postMessage(message);
    } catch (error) {
      // A DataCloneError: a function, a symbol or a class the clone algorithm refuses.
      throw new IpcError(ErrorCode.INVALID_ARGUMENT, `${message.kind} cannot be sent over a MessagePort: ${(error as Error).message}`);
    }
  }

  close(reason?: IpcError): void {
    this.finish(reason);
  }

  private receive(data: unknown): void {
    if (this.closed) return;
    let message: Message;
    try {
      message = validateMessage(data);
    } catch (error) {
      const failure = error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error));
      try {
        this.port.postMessage({ kind: MessageKind.Error, error: failure.toWire(), fatal: true });
      } catch {
        // The far side is already gone.
      }
      this.finish(failure);
      return;
    }
    this.receiver?.onMessage(message);
  }

  /** Closing is synchronous and happens once, from either side: the router frees the name before anything else. */
  private finish(reason: IpcError | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten('message', this.onMessageEvent);
    this.unlisten('close', this.onCloseEvent);
    this.port.close();
    this.receiver?.onClose(reason);
  }

  private listen(type: 'message' | 'close', listener: Listener): void {
    if (this.port.addEventListener) this.port.addEventListener(type, listener);
    else this.port.on?.(type, listener);
  }

  private unlisten(type: 'message' | 'close', listener: Listener): void {
    if (this.port.addEventListener) this.port.removeEventListener?.(type, listener);
    else if (this.port.off) this.port.off(type, listener);
    else this.port.removeListener?.(type, listener);
  }
}
