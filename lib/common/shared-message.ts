import { encodeFrame, type EncodedFrame } from './frame-codec.js';
import type { Message } from './messages.js';

/**
 * One message sent unchanged to many peers (a broadcast, a monitor summary):
 * each transport kind encodes it at most once and every port of that kind
 * queues the very same bytes, so N recipients cost one encoding and one copy
 * of the frame in memory, not N (issue 11, item 2; issue 12).
 *
 * `holders` counts the ports that still hold the bytes unwritten, so a
 * server-wide outbound budget can count shared bytes once (OutboundBudget).
 */
export class SharedMessage {
  private frame: EncodedFrame | undefined;
  private frameError: unknown;
  /** Ports holding this message's frame, not yet handed to the kernel. */
  holders = 0;

  private payload: Message | undefined;

  constructor(message: Message) {
    this.payload = message;
  }

  get message(): Message {
    if (!this.payload) throw new Error('SharedMessage: the message was released after every recipient had it');
    return this.payload;
  }

  /**
   * Every recipient was handed it: only the encoded bytes, still queued at slow readers, are kept.
   * The payload (a 32 MiB string, say) may go now rather than when the slowest reader has read.
   */
  releasePayload(): void {
    this.payload = undefined;
    this.other = undefined;
  }

  /** The socket frame, encoded on first use; a failure (nesting, size) is remembered and rethrown. */
  socketFrame(): EncodedFrame {
    if (this.frame) return this.frame;
    if (this.frameError !== undefined) throw this.frameError;
    try {
      this.frame = encodeFrame(this.message);
    } catch (error) {
      this.frameError = error;
      throw error;
    }
    return this.frame;
  }

  private other: Map<(message: Message) => unknown, unknown> | undefined;

  /** What `encode` makes of the message (another transport's bytes), made once per encode function. */
  encodedBy<T>(encode: (message: Message) => T): T {
    const other = (this.other ??= new Map());
    if (other.has(encode)) return other.get(encode) as T;
    const encoded = encode(this.message);
    other.set(encode, encoded);
    return encoded;
  }

  /** Bytes of the socket frame, length field included (what a port holds while it waits). */
  get frameBytes(): number {
    return 4 + this.socketFrame().frameLength;
  }
}
