import type { Socket } from 'node:net';
import { ErrorCode, IpcError } from '../common/errors.js';
import { encodeFrame, FRAME_LENGTH_BYTES, FrameDecoder } from '../common/frame-codec.js';
import { fatalErrorMessage, type Message } from '../common/messages.js';
import type { OutboundBudget, OutboundHolder } from '../common/outbound-budget.js';
import type { Port, PortReceiver } from '../common/port.js';
import type { SharedMessage } from '../common/shared-message.js';

export interface SocketPortOptions {
  /** Largest frame accepted from the peer, checked from the header. */
  maxFrameSize: number;
  /** A lower limit for the first frame (the server's: the hello of a peer not yet authenticated). */
  maxFirstFrameSize?: number;
  /** Bytes the peer may leave unread before it is dropped with SLOW_CONSUMER. */
  maxPendingWriteBytes?: number;
  /** A client's: frames it cannot decode are reported here and skipped (see FrameDecoderOptions). */
  onUndecodable?: (error: IpcError) => void;
  /** The server's cap on outbound bytes over all its ports (see OutboundBudget); none on a client. */
  budget?: OutboundBudget;
}

/**
 * Chunks smaller than this are copied into one buffer per flush; larger ones
 * are written as they are. Frames encoded in a row share a slab and are
 * joined without a copy first (joinAdjacent), so a burst is a few large views.
 */
const COALESCE_BELOW_BYTES = 4 * 1024;
/** How long a closing socket may take to flush its last frame before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** A reset or broken pipe is an ordinary disconnect ('close' follows); one function for every port. */
const ignoreError = (): void => undefined;

const PORT_OF_SOCKET = Symbol('ipcio.socketPort');
type SocketWithPort = Socket & { [PORT_OF_SOCKET]?: SocketPort };

let tickNumber = 0;
let tickEndQueued = false;

/** A number that changes once the current synchronous run and its microtasks are over; one microtask for all ports. */
function currentTick(): number {
  if (!tickEndQueued) {
    tickEndQueued = true;
    queueMicrotask(() => {
      tickNumber += 1;
      tickEndQueued = false;
    });
  }
  return tickNumber;
}

/** One function for every port, not a closure each: it is kept for the connection's life (heap per client). */
const allocateBuffer = (size: number): Uint8Array => Buffer.allocUnsafe(size);

/**
 * A node:net socket as a Port: length-prefixed frames both ways. Frames sent
 * in one tick go out in one write, so a burst costs one syscall, not one per
 * message.
 */
export class SocketPort implements Port, OutboundHolder {
  maxOutgoingFrameSize: number | undefined;
  private readonly decoder: FrameDecoder;
  private readonly maxPendingWriteBytes: number;
  private outgoing: Uint8Array[] = [];
  private outgoingBytes = 0;
  private flushScheduled = false;
  private closed = false;
  /** onClose fires once: a socket destroyed before attach could otherwise report both ways. */
  private closeNotified = false;
  private receiver: PortReceiver | undefined;
  private closeReason: IpcError | undefined;
  private readonly budget: OutboundBudget | undefined;
  /** The tick (see currentTick) in which a shared frame was last written at once. */
  private lastImmediateTick = -1;
  /** With a budget, while bytes are in flight: what this port holds under it. */
  private account: OutboundAccount | undefined;

  constructor(
    readonly socket: Socket,
    options: SocketPortOptions,
  ) {
    this.decoder = new FrameDecoder({
      maxFrameSize: options.maxFrameSize,
      maxFirstFrameSize: options.maxFirstFrameSize,
      onUndecodable: options.onUndecodable,
      allocate: allocateBuffer,
    });
    this.maxPendingWriteBytes = options.maxPendingWriteBytes ?? Number.POSITIVE_INFINITY;
    this.budget = options.budget;
    this.budget?.register(this);
    socket.setNoDelay?.(true);
  }

  /** Bytes held for the peer: queued here or in the socket, shared frames in full (with a budget). */
  get heldBytes(): number {
    return this.account ? this.account.ownHeld + this.account.sharedHeldBytes : 0;
  }

  attach(receiver: PortReceiver): void {
    this.receiver = receiver;
    (this.socket as SocketWithPort)[PORT_OF_SOCKET] = this;
    this.socket.on('data', SocketPort.onSocketData);
    // A reset or broken pipe is an ordinary disconnect; 'close' follows and reports it.
    this.socket.on('error', ignoreError);
    this.socket.on('close', SocketPort.onSocketClose);
    if (this.socket.destroyed) queueMicrotask(() => this.notifyClosed());
  }

  send(message: Message): void {
    this.checkOpen();
    const { chunks, frameLength } = encodeFrame(message);
    this.checkFrameLength(message, frameLength);
    for (const chunk of chunks) this.outgoing.push(chunk);
    const bytes = FRAME_LENGTH_BYTES + frameLength;
    this.outgoingBytes += bytes;
    if (this.budget) {
      const account = (this.account ??= new OutboundAccount());
      account.ownHeld += bytes;
      account.ownQueued += bytes;
      this.budget.add(bytes);
    }
    if (!this.withinLimits()) return;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /**
   * Queues the frame the message shares with other ports (encoded by the first of them), and writes
   * at once when nothing else waits: a broadcast reaches its first recipients while the server is
   * still handing it to the rest.
   */
  sendShared(shared: SharedMessage): void {
    this.checkOpen();
    const { chunks, frameLength } = shared.socketFrame();
    this.checkFrameLength(shared.message, frameLength);
    for (const chunk of chunks) this.outgoing.push(chunk);
    const bytes = FRAME_LENGTH_BYTES + frameLength;
    this.outgoingBytes += bytes;
    if (this.budget) {
      const account = (this.account ??= new OutboundAccount());
      account.sharedHeld.push(shared);
      account.sharedHeldBytes += bytes;
      account.sharedQueued += 1;
      // Counted once, by the first port that holds it.
      if (shared.holders++ === 0) this.budget.add(bytes);
    }
    if (!this.withinLimits()) return;
    if (this.flushScheduled) return;
    // The first shared frame of a tick goes out at once; more in the same tick wait for one write together.
    const tick = currentTick();
    if (this.lastImmediateTick === tick) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
      return;
    }
    this.lastImmediateTick = tick;
    this.flush();
  }

  /** Drops this peer for the server-wide budget; what it held is released before this returns. */
  dropSlow(error: IpcError): void {
    this.close(error);
    this.releaseAll();
  }

  close(reason?: IpcError): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason ??= reason;
    if (reason?.code === ErrorCode.SLOW_CONSUMER) {
      // It is not reading: nothing more can reach it.
      this.socket.destroy();
      return;
    }
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private checkOpen(): void {
    if (this.closed || this.socket.destroyed || !this.socket.writable) {
      throw new IpcError(ErrorCode.CLOSED, 'connection is closed');
    }
  }

  private checkFrameLength(message: Message, frameLength: number): void {
    if (this.maxOutgoingFrameSize !== undefined && frameLength > this.maxOutgoingFrameSize) {
      throw new IpcError(
        ErrorCode.FRAME_TOO_LARGE,
        `${message.kind} of ${frameLength} bytes exceeds the peer's limit of ${this.maxOutgoingFrameSize}`,
        { data: { frameLength, maxFrameSize: this.maxOutgoingFrameSize } },
      );
    }
  }

  /** After queueing: this peer's own bound, then the server-wide one. False when this port was dropped. */
  private withinLimits(): boolean {
    if (this.socket.writableLength + this.outgoingBytes > this.maxPendingWriteBytes) {
      this.close(new IpcError(ErrorCode.SLOW_CONSUMER, `peer left more than ${this.maxPendingWriteBytes} bytes unread`));
      this.releaseAll();
      return false;
    }
    this.budget?.enforce();
    return !this.closed;
  }

  /** The kernel took a flush's bytes: they leave the budget (shared ones when no other port holds them). */
  private written(ownBytes: number, sharedCount: number): void {
    const account = this.account;
    if (!account || account.released || !this.budget) return;
    account.ownHeld -= ownBytes;
    this.budget.release(ownBytes);
    for (let i = 0; i < sharedCount; i += 1) this.releaseShared(account, account.sharedHeld.shift() as SharedMessage);
    if (account.ownHeld + account.sharedHeldBytes === 0) {
      // Nothing in flight, so no callback can still refer to it: an idle connection keeps no account.
      this.account = undefined;
    }
  }

  private releaseShared(account: OutboundAccount, shared: SharedMessage): void {
    const bytes = shared.frameBytes;
    account.sharedHeldBytes -= bytes;
    if (--shared.holders === 0) this.budget?.release(bytes);
  }

  /** The connection is gone: nothing it held counts any more. */
  private releaseAll(): void {
    this.budget?.unregister(this);
    const account = this.account;
    if (!account || account.released || !this.budget) return;
    account.released = true;
    this.budget.release(account.ownHeld);
    account.ownHeld = 0;
    for (const shared of account.sharedHeld) this.releaseShared(account, shared);
    account.sharedHeld = [];
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outgoing.length === 0 || this.socket.destroyed) return;
    const chunks = joinAdjacent(this.outgoing);
    this.outgoing = [];
    this.outgoingBytes = 0;
    let onWritten: (() => void) | undefined;
    const account = this.account;
    if (account) {
      const ownBytes = account.ownQueued;
      const sharedCount = account.sharedQueued;
      account.ownQueued = 0;
      account.sharedQueued = 0;
      onWritten = () => this.written(ownBytes, sharedCount);
    }
    if (chunks.length === 1) {
      this.socket.write(chunks[0] as Uint8Array, onWritten);
      return;
    }
    // One writev for the lot; only runs of small, scattered chunks are copied together.
    const writes: Uint8Array[] = [];
    let small: Uint8Array[] = [];
    for (const chunk of chunks) {
      if (chunk.byteLength < COALESCE_BELOW_BYTES) {
        small.push(chunk);
        continue;
      }
      if (small.length > 0) writes.push(small.length === 1 ? (small[0] as Uint8Array) : Buffer.concat(small));
      small = [];
      writes.push(chunk);
    }
    if (small.length > 0) writes.push(small.length === 1 ? (small[0] as Uint8Array) : Buffer.concat(small));
    this.socket.cork();
    const last = writes.length - 1;
    // Callbacks run in write order: the last one says the whole flush was taken.
    for (let i = 0; i < last; i += 1) this.socket.write(writes[i] as Uint8Array);
    this.socket.write(writes[last] as Uint8Array, onWritten);
    this.socket.uncork();
  }

  /*
   * Listeners shared by every port (the socket is `this`, and names its port): closures per port
   * cost about 150 bytes of heap per connection.
   */
  private static onSocketData(this: Socket, chunk: Buffer): void {
    (this as SocketWithPort)[PORT_OF_SOCKET]?.onData(chunk);
  }

  private static onSocketClose(this: Socket): void {
    (this as SocketWithPort)[PORT_OF_SOCKET]?.notifyClosed();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let messages: Message[];
    try {
      messages = this.decoder.push(chunk);
    } catch (error) {
      const failure = error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error));
      this.failWith(failure);
      return;
    }
    for (const message of messages) {
      if (this.closed) return;
      this.receiver?.onMessage(message);
    }
  }

  private notifyClosed(): void {
    this.closed = true;
    this.releaseAll();
    if (this.closeNotified) return;
    this.closeNotified = true;
    this.receiver?.onClose(this.closeReason);
  }

  /** The peer broke the protocol: tell it why in a last frame, then close. */
  private failWith(error: IpcError): void {
    try {
      this.send(fatalErrorMessage(error));
    } catch {
      // Already closing.
    }
    this.close(error);
  }
}

/** What one port holds under the server's OutboundBudget, while it holds anything (heap per idle client). */
class OutboundAccount {
  /** Bytes of this port's own frames queued or in the socket, not yet taken by the kernel. */
  ownHeld = 0;
  /** Own bytes queued since the last flush. */
  ownQueued = 0;
  /** Shared frames held (queued or in the socket), oldest first. */
  sharedHeld: SharedMessage[] = [];
  sharedHeldBytes = 0;
  /** Shared frames queued since the last flush. */
  sharedQueued = 0;
  /** Set once what the port held was released from the budget for good. */
  released = false;
}

/**
 * Joins chunks that lie side by side in the same memory into one view (the
 * frame codec encodes small frames one after another into a shared slab).
 */
export function joinAdjacent(chunks: Uint8Array[]): Uint8Array[] {
  const joined: Uint8Array[] = [];
  let first = chunks[0] as Uint8Array;
  let runBytes = first.byteLength;
  let runChunks = 1;
  const endRun = (): void => {
    joined.push(runChunks === 1 ? first : new Uint8Array(first.buffer, first.byteOffset, runBytes));
  };
  for (let i = 1; i < chunks.length; i += 1) {
    const chunk = chunks[i] as Uint8Array;
    if (chunk.buffer === first.buffer && chunk.byteOffset === first.byteOffset + runBytes) {
      runBytes += chunk.byteLength;
      runChunks += 1;
    } else {
      endRun();
      first = chunk;
      runBytes = chunk.byteLength;
      runChunks = 1;
    }
  }
  endRun();
  return joined;
}
