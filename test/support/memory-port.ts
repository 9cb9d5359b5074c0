import { ServerCore } from '../../lib/common/server-core.js';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { MessageKind, PROTOCOL_VERSION, type Message, type WelcomeMessage } from '../../lib/common/messages.js';
import type { PeerPolicy } from '../../lib/common/peer.js';
import type { Port, PortReceiver } from '../../lib/common/port.js';

/**
 * An in-memory Port, one end of a pair made by memoryPortPair(). It keeps the
 * Port contract (lib/common/port.ts) like the real transports: delivery is
 * asynchronous and in order, messages sent before a close still arrive, the
 * far end's onClose fires after them, onClose fires exactly once, and send
 * after close throws CLOSED. Messages are structured-cloned, as a MessagePort
 * would. Not a fake of any real part: the core under test is real.
 */
export class MemoryPort implements Port {
  readonly socket = null;
  maxOutgoingFrameSize?: number;
  /** Every message this end sent, in order (for invariants in tests). */
  readonly sent: Message[] = [];
  /** Every message this end delivered to its receiver. */
  readonly received: Message[] = [];
  /** Both directions in the order they happened at this end. */
  readonly events: { direction: 'in' | 'out'; message: Message }[] = [];
  /** Set after this end closed; a send then is a contract breach the tests look for. */
  sendsAfterClose = 0;
  peer!: MemoryPort;
  private receiver: PortReceiver | undefined;
  private readonly held: Message[] = [];
  private closed = false;
  private closeNotice: { reason?: IpcError } | undefined;
  private notified = false;

  get isClosed(): boolean {
    return this.closed;
  }

  send(message: Message): void {
    if (this.closed) {
      this.sendsAfterClose += 1;
      throw new IpcError(ErrorCode.CLOSED, 'memory port is closed');
    }
    this.sent.push(message);
    this.events.push({ direction: 'out', message });
    const copy = structuredClone(message);
    const peer = this.peer;
    queueMicrotask(() => peer.deliver(copy));
  }

  attach(receiver: PortReceiver): void {
    this.receiver = receiver;
    for (const message of this.held.splice(0)) this.dispatch(message);
    if (this.closeNotice) this.notify();
  }

  close(reason?: IpcError): void {
    if (this.closed) return;
    this.closed = true;
    this.closeNotice = reason === undefined ? {} : { reason };
    queueMicrotask(() => this.notify());
    const peer = this.peer;
    // Queued after every message already sent, so they arrive first (as bytes before a FIN do).
    queueMicrotask(() => peer.closedByPeer());
  }

  private closedByPeer(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeNotice = {};
    this.notify();
  }

  private deliver(message: Message): void {
    if (this.closed) return;
    if (this.receiver) this.dispatch(message);
    else this.held.push(message);
  }

  private dispatch(message: Message): void {
    this.received.push(message);
    this.events.push({ direction: 'in', message });
    this.receiver?.onMessage(message);
  }

  private notify(): void {
    if (this.notified || !this.receiver || !this.closeNotice) return;
    this.notified = true;
    this.receiver.onClose(this.closeNotice.reason);
  }
}

export function memoryPortPair(): [MemoryPort, MemoryPort] {
  const a = new MemoryPort();
  const b = new MemoryPort();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** Lets every queued microtask run (deliveries and closes of memory ports); no timers involved. */
export async function drain(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await Promise.resolve();
}

/**
 * Where a client's `openPort` connects: whichever ServerCore is `current` (none: the attempt fails as
 * a refused socket connect would). Keeps every client-side port it made.
 */
export class MemoryNetwork {
  current: ServerCore | undefined;
  readonly clientPorts: MemoryPort[] = [];
  attempts = 0;

  readonly openPort = (): Promise<Port> => {
    this.attempts += 1;
    const server = this.current;
    if (!server) return Promise.reject(new IpcError(ErrorCode.DISCONNECTED, 'no server is listening'));
    const [client, serverSide] = memoryPortPair();
    this.clientPorts.push(client);
    server.accept(serverSide);
    return Promise.resolve(client);
  };
}

/** A hand-driven peer on a memory port: it says hello itself and records all it receives. */
export class RawPeer {
  readonly port: MemoryPort;
  readonly inbox: Message[] = [];
  closedWith: { reason?: IpcError } | undefined;

  constructor(server: ServerCore, policy?: PeerPolicy) {
    const [mine, theirs] = memoryPortPair();
    this.port = mine;
    mine.attach({
      onMessage: (message) => this.inbox.push(message),
      onClose: (reason) => {
        this.closedWith = { reason };
      },
    });
    server.accept(theirs, policy);
  }

  /** Says hello and waits for the welcome. */
  async join(name: string, session?: string): Promise<WelcomeMessage> {
    const hello: Message = { kind: MessageKind.Hello, version: PROTOCOL_VERSION, name };
    if (session !== undefined) hello.session = session;
    this.port.send(hello);
    await drain();
    const welcome = this.inbox.find((m): m is WelcomeMessage => m.kind === MessageKind.Welcome);
    if (!welcome) throw new Error(`no welcome for "${name}": ${JSON.stringify(this.inbox)}`);
    return welcome;
  }

  send(message: Message): void {
    this.port.send(message);
  }

  /** Messages of one kind received so far. */
  of<K extends Message['kind']>(kind: K): Extract<Message, { kind: K }>[] {
    return this.inbox.filter((m): m is Extract<Message, { kind: K }> => m.kind === kind);
  }
}

/**
 * The answering rule seen at one end of a connection: a `response` goes out only for a request that came
 * in on it and is still open (not answered, not cancelled). Returns the breaches, described.
 */
export function answeringBreaches(port: MemoryPort): string[] {
  const open = new Set<number>();
  const breaches: string[] = [];
  for (const { direction, message } of port.events) {
    if (direction === 'in' && message.kind === 'request') open.add(message.id);
    else if (direction === 'in' && message.kind === 'cancel') open.delete(message.id);
    else if (direction === 'out' && message.kind === 'response') {
      if (!open.delete(message.id)) breaches.push(`response #${message.id} with no open request (answered twice, after a cancel, or never asked)`);
    }
  }
  return breaches;
}
