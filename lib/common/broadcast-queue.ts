import type { SharedMessage } from './shared-message.js';

/** A recipient of broadcasts: owes them until paid, and pays them before anything else it is sent. */
export interface BroadcastRecipient {
  owe(shared: SharedMessage): void;
  payOwed(): void;
}

/** Default of how long one turn of the event loop may spend writing broadcasts before the rest wait for the next. */
export const BROADCAST_SLICE_MS = 8;
/** The clock is read once per this many recipients. */
const RECIPIENTS_PER_CLOCK_READ = 32;

const now: () => number = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();
/**
 * The next slice waits for the timers phase of the next loop iteration, after the I/O that arrived
 * meanwhile and after immediates queued during this slice: others are served between two slices.
 */
const nextTurn = (run: () => void): void => void setTimeout(run, 0);

interface Job {
  readonly shared: SharedMessage;
  readonly recipients: BroadcastRecipient[];
  next: number;
}

/**
 * Writes broadcasts to their recipients a slice at a time: the first
 * recipients at once, the rest over the following turns of the event loop,
 * so one broadcast to 10,000 peers never stops the server from serving
 * anyone else for more than about BROADCAST_SLICE_MS. Every recipient is
 * handed the message up front (`owe`), and pays what it owes before any
 * later message to it, so the order each peer sees is the order of sends.
 */
export class BroadcastQueue {
  private readonly jobs: Job[] = [];
  private scheduled = false;
  /** Slices run so far (a large broadcast is cut into several turns). */
  slices = 0;

  constructor(
    private readonly sliceMs: number = BROADCAST_SLICE_MS,
    private readonly clock: () => number = now,
  ) {}

  /** Hands `shared` to every recipient; writes the first at once unless earlier broadcasts still wait. */
  send(shared: SharedMessage, recipients: BroadcastRecipient[]): void {
    if (recipients.length === 0) {
      shared.releasePayload();
      return;
    }
    for (const recipient of recipients) recipient.owe(shared);
    this.jobs.push({ shared, recipients, next: 0 });
    if (!this.scheduled) this.run();
  }

  /** Recipients still owed a broadcast, over all jobs. */
  get waiting(): number {
    let count = 0;
    for (const job of this.jobs) count += job.recipients.length - job.next;
    return count;
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.slices += 1;
    const start = this.clock();
    let sinceClockRead = 0;
    while (this.jobs.length > 0) {
      const job = this.jobs[0] as Job;
      while (job.next < job.recipients.length) {
        (job.recipients[job.next++] as BroadcastRecipient).payOwed();
        if (++sinceClockRead === RECIPIENTS_PER_CLOCK_READ) {
          sinceClockRead = 0;
          if (this.clock() - start >= this.sliceMs) {
            this.scheduled = true;
            nextTurn(this.run);
            return;
          }
        }
      }
      this.jobs.shift();
      job.shared.releasePayload();
    }
  };
}
