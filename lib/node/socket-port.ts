import type { Socket } from 'node:net';
import { ErrorCode, IpcError } from '../common/errors.js';
import { encodeFrame, FrameDecoder } from '../common/frame-codec.js';
import { fatalErrorMessage, type Message } from '../common/messages.js';
import type { Port, PortReceiver } from '../common/port.js';

export interface SocketPortOptions {
  /** Largest frame accepted from the peer, checked from the header. */
  maxFrameSize: number;
  /** A lower limit for the first frame (the server's: the hello of a peer not yet authenticated). */
  maxFirstFrameSize?: number;
  /** Bytes the peer may leave unread before it is dropped with SLOW_CONSUMER. */
  maxPendingWriteBytes?: number;
  /** A client's: frames it cannot decode are reported here and skipped (see FrameDecoderOptions). */
  onUndecodable?: (error: IpcError) => void;
}

/**
 * Chunks smaller than this are copied into one buffer per flush; larger ones
 * are written as they are. Frames encoded in a row share a slab and are
 * joined without a copy first (joinAdjacent), so a burst is a few large views.
 */
const COALESCE_BELOW_BYTES = 4 * 1024;
/** How long a closing socket may take to flush its last frame before it is destroyed. */
const CLOSE_GRACE_MS = 1000;

/** One function for every port, not a closure each: it is kept for the connection's life (heap per client). */
const allocateBuffer = (size: number): Uint8Array => Buffer.allocUnsafe(size);

/**
 * A node:net socket as a Port: length-prefixed frames both ways. Frames sent
 * in one tick go out in one write, so a burst costs one syscall, not one per
 * message.
 */
export class SocketPort implements Port {
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
    socket.setNoDelay?.(true);
  }

  attach(receiver: PortReceiver): void {
    this.receiver = receiver;
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A reset or broken pipe is an ordinary disconnect; 'close' follows and reports it.
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => this.notifyClosed());
    if (this.socket.destroyed) queueMicrotask(() => this.notifyClosed());
  }

  send(message: Message): void {
    if (this.closed || this.socket.destroyed || !this.socket.writable) {
      throw new IpcError(ErrorCode.CLOSED, 'connection is closed');
    }
    const { chunks, frameLength } = encodeFrame(message);
    if (this.maxOutgoingFrameSize !== undefined && frameLength > this.maxOutgoingFrameSize) {
      throw new IpcError(
        ErrorCode.FRAME_TOO_LARGE,
        `${message.kind} of ${frameLength} bytes exceeds the peer's limit of ${this.maxOutgoingFrameSize}`,
        { data: { frameLength, maxFrameSize: this.maxOutgoingFrameSize } },
      );
    }
    for (const chunk of chunks) {
      this.outgoing.push(chunk);
      this.outgoingBytes += chunk.byteLength;
    }
    if (this.socket.writableLength + this.outgoingBytes > this.maxPendingWriteBytes) {
      this.close(new IpcError(ErrorCode.SLOW_CONSUMER, `peer left more than ${this.maxPendingWriteBytes} bytes unread`));
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
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

  private flush(): void {
    this.flushScheduled = false;
    if (this.outgoing.length === 0 || this.socket.destroyed) return;
    const chunks = joinAdjacent(this.outgoing);
    this.outgoing = [];
    this.outgoingBytes = 0;
    if (chunks.length === 1) {
      this.socket.write(chunks[0] as Uint8Array);
      return;
    }
    // One writev for the lot; only runs of small, scattered chunks are copied together.
    this.socket.cork();
    let small: Uint8Array[] = [];
    for (const chunk of chunks) {
      if (chunk.byteLength < COALESCE_BELOW_BYTES) {
        small.push(chunk);
        continue;
      }
      if (small.length > 0) this.socket.write(small.length === 1 ? (small[0] as Uint8Array) : Buffer.concat(small));
      small = [];
      this.socket.write(chunk);
    }
    if (small.length > 0) this.socket.write(small.length === 1 ? (small[0] as Uint8Array) : Buffer.concat(small));
    this.socket.uncork();
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
