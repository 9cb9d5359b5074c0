import { PROTOCOL } from './protocol.js';
import { ErrorCode, IpcError } from './errors.js';
import { estimateSize } from './estimate-size.js';
import type { Message } from './messages.js';
import type { PendingRequest } from './pending-requests.js';

export interface QueueLimit {
  messages: number;
  bytes: number;
}

export const DEFAULT_QUEUE_LIMIT: QueueLimit = { messages: PROTOCOL.defaults.queueMessages, bytes: PROTOCOL.defaults.queueBytes };

export interface QueuedMessage {
  message: Message;
  /** Estimated bytes, counted against the limit. */
  size: number;
  request?: PendingRequest;
}

/**
 * What a client could not send yet, in order, bounded by count and by an
 * estimate of bytes. A full queue refuses the newest message, never an
 * older one, and never silently.
 */
export class OfflineQueue {
  private entries: QueuedMessage[] = [];
  private bytes = 0;

  constructor(private readonly limit: QueueLimit) {}

  get length(): number {
    return this.entries.length;
  }

  /** Adds at the back; returns the QUEUE_FULL error instead when that would pass the limit. */
  push(message: Message, request?: PendingRequest): IpcError | undefined {
    const size = estimateSize((message as { data?: unknown }).data);
    if (this.entries.length + 1 > this.limit.messages || this.bytes + size > this.limit.bytes) {
      return new IpcError(
        ErrorCode.QUEUE_FULL,
        `offline queue is full (${this.entries.length} messages, ${this.bytes} bytes); "${(message as { cmd?: string }).cmd}" refused`,
      );
    }
    this.entries.push({ message, size, request });
    this.bytes += size;
    return undefined;
  }

  /** Hands entries to `write` from the front until it refuses one; that one and the rest stay queued. */
  drain(write: (entry: QueuedMessage) => boolean): void {
    let written = 0;
    for (const entry of this.entries) {
      if (!write(entry)) break;
      written += 1;
      this.bytes -= entry.size;
    }
    // One splice for the whole run: shifting 10,000 entries one by one would be quadratic.
    this.entries.splice(0, written);
  }

  /** Drops a request that timed out or was cancelled before it was sent. */
  remove(request: PendingRequest): void {
    const index = this.entries.findIndex((entry) => entry.request === request);
    if (index < 0) return;
    this.bytes -= (this.entries[index] as QueuedMessage).size;
    this.entries.splice(index, 1);
  }

  /** Empties the queue, returning what was in it. */
  takeAll(): QueuedMessage[] {
    const all = this.entries;
    this.entries = [];
    this.bytes = 0;
    return all;
  }
}
