/**
 * Ports a parent hands over (main gives the preload and each utility process
 * theirs), for a ClientEndpoint's `openPort`: each `take()` gets the next
 * port, waiting for one if none arrived yet. A port nobody is waiting for
 * replaces an older unclaimed one, which is closed: only the newest is live.
 */
export class PortMailbox<P> {
  private unclaimed: P | undefined;
  private waiter: ((port: P) => void) | undefined;

  constructor(private readonly discard: (port: P) => void) {}

  get hasPort(): boolean {
    return this.unclaimed !== undefined;
  }

  deliver(port: P): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter(port);
      return;
    }
    if (this.unclaimed !== undefined) this.discard(this.unclaimed);
    this.unclaimed = port;
  }

  /** One taker at a time: the endpoint opens one connection after another. */
  take(): Promise<P> {
    const port = this.unclaimed;
    if (port !== undefined) {
      this.unclaimed = undefined;
      return Promise.resolve(port);
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
