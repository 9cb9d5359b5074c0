import { MAX_TIMER_DELAY_MS } from './long-timer.js';

/** What the deadlines track: anything with a deadline that may be settled before it. */
export interface Timed {
  deadlineAt: number;
  /** False once the request settled: its place in the queue is then skipped. */
  readonly live: boolean;
}

/** A queue grows by this many dead entries past twice its live ones before it is compacted. */
const COMPACT_SLACK = 1024;

/**
 * Request timeouts on one timer, not one each: setTimeout and clearTimeout
 * were about 40% of a request's cost on the client (bench/micro.mjs under
 * --cpu-prof). Requests given the same timeout expire in the order they were
 * made, so each distinct timeout has a FIFO queue and the timer is armed for
 * the earliest head. A settled request is not removed, just skipped when it
 * reaches the head (queues are compacted when dead entries pile up behind a
 * long-lived one). The timer is unref'd while nothing is live, so settled
 * requests never keep a process alive. A deadline never fires early; at most
 * setTimeout's own lateness late.
 */
export class RequestDeadlines<T extends Timed> {
  private readonly queues = new Map<number, { items: T[]; head: number }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedAt = Number.POSITIVE_INFINITY;
  private liveCount = 0;

  constructor(private readonly expire: (item: T) => void) {}

  /** Tracks `item`, due `timeoutMs` from now (finite, above 0). */
  add(item: T, timeoutMs: number): void {
    const deadlineAt = Date.now() + timeoutMs;
    item.deadlineAt = deadlineAt;
    let queue = this.queues.get(timeoutMs);
    if (!queue) {
      queue = { items: [], head: 0 };
      this.queues.set(timeoutMs, queue);
    }
    dropDeadHeads(queue);
    queue.items.push(item);
    this.liveCount += 1;
    if (queue.items.length - queue.head > 2 * this.liveCount + COMPACT_SLACK) compact(queue);
    if (this.timer === undefined || deadlineAt < this.armedAt) this.arm(deadlineAt);
    else if (this.liveCount === 1) refHandle(this.timer);
  }

  /** `item` settled (its `live` is now false). */
  settled(): void {
    this.liveCount -= 1;
    if (this.liveCount === 0 && this.timer !== undefined) unrefHandle(this.timer);
  }

  private arm(deadlineAt: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = deadlineAt;
    this.timer = setTimeout(this.fire, Math.min(Math.max(0, deadlineAt - Date.now()), MAX_TIMER_DELAY_MS));
    if (this.liveCount === 0) unrefHandle(this.timer);
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [timeoutMs, queue] of this.queues) {
      for (;;) {
        dropDeadHeads(queue);
        const head = queue.items[queue.head];
        if (head === undefined) break;
        if (head.deadlineAt > now) {
          next = Math.min(next, head.deadlineAt);
          break;
        }
        queue.head += 1;
        this.expire(head); // settles it: `live` false, `settled()` called
      }
      if (queue.head === queue.items.length) this.queues.delete(timeoutMs);
      else if (queue.head > COMPACT_SLACK) compact(queue);
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  };
}

function dropDeadHeads<T extends Timed>(queue: { items: T[]; head: number }): void {
  while (queue.head < queue.items.length && !(queue.items[queue.head] as T).live) queue.head += 1;
  if (queue.head === queue.items.length && queue.head > 0) {
    queue.items.length = 0;
    queue.head = 0;
  }
}

function compact<T extends Timed>(queue: { items: T[]; head: number }): void {
  queue.items = queue.items.filter((item, index) => index >= queue.head && item.live);
  queue.head = 0;
}

function refHandle(handle: ReturnType<typeof setTimeout>): void {
  (handle as { ref?: () => void }).ref?.();
}

function unrefHandle(handle: ReturnType<typeof setTimeout>): void {
  (handle as { unref?: () => void }).unref?.();
}
