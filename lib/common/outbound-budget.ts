import { ErrorCode, IpcError } from './errors.js';

/** A port that holds outbound bytes under a budget. */
export interface OutboundHolder {
  /** Bytes this port holds for its peer now, shared frames counted in full: how far behind the peer is. */
  readonly heldBytes: number;
  /** Drops the peer with `error` (SLOW_CONSUMER); must release what it holds before returning. */
  dropSlow(error: IpcError): void;
}

/**
 * A server-wide cap on memory held for outbound data, over every connection
 * at once: frames queued or handed to a socket but not yet taken by the
 * kernel. A frame shared by many ports (a broadcast) is counted once, while
 * any port still holds it. Past the cap the peer furthest behind is dropped
 * with SLOW_CONSUMER, then the next, until the total is under the cap again:
 * peers that keep up are never dropped for the ones that do not.
 */
export class OutboundBudget {
  private total = 0;
  /** Every holder under this budget, from its creation to its close: scanned only past the cap. */
  private readonly holders = new Set<OutboundHolder>();

  constructor(readonly maxBytes: number) {}

  /** Bytes held now, shared frames counted once. */
  get heldBytes(): number {
    return this.total;
  }

  register(holder: OutboundHolder): void {
    this.holders.add(holder);
  }

  /** The holder's connection is gone (after it released what it held). */
  unregister(holder: OutboundHolder): void {
    this.holders.delete(holder);
  }

  add(bytes: number): void {
    this.total += bytes;
  }

  release(bytes: number): void {
    this.total -= bytes;
  }

  /** Drops the slowest holders while the total is over the cap. */
  enforce(): void {
    while (this.total > this.maxBytes) {
      let slowest: OutboundHolder | undefined;
      for (const holder of this.holders) if (!slowest || holder.heldBytes > slowest.heldBytes) slowest = holder;
      if (!slowest || slowest.heldBytes === 0) return;
      this.holders.delete(slowest);
      slowest.dropSlow(
        new IpcError(ErrorCode.SLOW_CONSUMER, `the server holds more than ${this.maxBytes} bytes for its peers; this one, ${slowest.heldBytes} bytes behind, is the slowest`),
      );
    }
  }
}
