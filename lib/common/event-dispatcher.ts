/**
 * Lifecycle events (`client-connected`, `error`, ...). Kept apart from Node's
 * EventEmitter because `emit` on servers and clients sends messages, as in
 * the seed library.
 */
export class EventDispatcher<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  on<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
  }

  off<E extends keyof Events>(event: E, listener: (payload: Events[E]) => void): void {
    this.listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  hasListeners(event: keyof Events): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls each listener; one that throws does not stop the others, and is reported to `onListenerError`. */
  dispatch<E extends keyof Events>(event: E, payload: Events[E], onListenerError: (error: unknown) => void): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[E]) => void)(payload);
      } catch (error) {
        onListenerError(error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
