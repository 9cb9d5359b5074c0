import { ErrorCode, IpcError } from './errors.js';
import { fatalErrorMessage, type Message } from './messages.js';
import { validateMessage } from './message-validation.js';
import type { Port, PortReceiver } from './port.js';

type Listener = (event: unknown) => void;

/**
 * What the adapter needs of a message port. DOM ports and Node's worker_threads
 * ports have `addEventListener`, which is preferred (its events carry `data`;
 * Node's `on('message')` would pass the bare value). Electron's MessagePortMain
 * and ParentPort have only `on`/`off`, with `{ data, ports }` events.
 */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  start?(): void;
  close(): void;
  addEventListener?(type: 'message' | 'close', listener: Listener): void;
  removeEventListener?(type: 'message' | 'close', listener: Listener): void;
  on?(event: 'message' | 'close', listener: Listener): unknown;
  off?(event: 'message' | 'close', listener: Listener): unknown;
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
  /** Closed before attach: onClose is owed at attach (the Port contract: exactly once, whenever it closed). */
  private closeOwed: { reason: IpcError | undefined } | undefined;
  private readonly onMessageEvent: Listener = (event) => this.receive((event as { data?: unknown }).data);
  private readonly onCloseEvent: Listener = () => this.finish(undefined);

  constructor(private readonly port: MessagePortLike) {
    // Listened for from the start: a far side that closes before attach must still be reported.
    this.listen('close', this.onCloseEvent);
  }

  attach(receiver: PortReceiver): void {
    this.receiver = receiver;
    if (this.closeOwed) {
      const { reason } = this.closeOwed;
      this.closeOwed = undefined;
      receiver.onClose(reason);
      return;
    }
    this.listen('message', this.onMessageEvent);
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

  get isClosed(): boolean {
    return this.closed;
  }

  private receive(data: unknown): void {
    if (this.closed) return;
    let message: Message;
    try {
      message = validateMessage(data);
    } catch (error) {
      // validateMessage throws BAD_MESSAGE; the far side learns why before the port closes, as on a socket.
      const failure = error as IpcError;
      this.send(fatalErrorMessage(failure));
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
    if (this.receiver) this.receiver.onClose(reason);
    else this.closeOwed = { reason };
  }

  private listen(type: 'message' | 'close', listener: Listener): void {
    if (this.port.addEventListener) this.port.addEventListener(type, listener);
    else this.port.on?.(type, listener);
  }

  private unlisten(type: 'message' | 'close', listener: Listener): void {
    if (this.port.addEventListener) this.port.removeEventListener?.(type, listener);
    else this.port.off?.(type, listener);
  }
}
