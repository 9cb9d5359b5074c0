import { ErrorCode, IpcError } from '../common/errors.js';

/**
 * Where the page stands with the app:
 * - `connecting`: before the first welcome; calls wait in the endpoint's offline queue.
 * - `connected`: calls go through.
 * - `disconnected`: the WebSocket closed and the endpoint is reconnecting with
 *   backoff; every call fails with DISCONNECTED at once, since the app may
 *   never come back and a page must not hang on a timeout to find out.
 * - `refused`: the server turned the page away for good (token, origin, name).
 */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'refused';

interface InFlight {
  fail(error: IpcError): void;
}

/**
 * The page's connection state and the calls made through it: when the
 * WebSocket closes, every request still waiting rejects at once with
 * DISCONNECTED (or with the refusal), not when its timeout expires, and
 * calls made while it is down are refused without being queued.
 */
export class ConnectionGate {
  private current: ConnectionState = 'connecting';
  private reason: IpcError | undefined;
  private readonly inFlight = new Set<InFlight>();

  constructor(private readonly onChange: (state: ConnectionState, error?: IpcError) => void = () => undefined) {}

  get state(): ConnectionState {
    return this.current;
  }

  connected(): void {
    if (this.current === 'refused') return;
    this.set('connected', undefined);
  }

  /** The WebSocket closed for a reason retrying may fix (the app stopped, a network error). */
  lost(error: IpcError): void {
    if (this.current === 'refused') return;
    const failure = new IpcError(ErrorCode.DISCONNECTED, `no connection to the app (${error.message}); reconnecting`);
    this.failAll(failure);
    // Calls fail with DISCONNECTED; the listener hears why the WebSocket closed.
    if (this.current !== 'disconnected') this.set('disconnected', failure, error);
  }

  /** Turned away for good: everything waiting fails with the refusal's own code. */
  refused(error: IpcError): void {
    if (this.current === 'refused') return;
    this.failAll(error);
    this.set('refused', error);
  }

  /** Throws the reason calls cannot go through now, if any (for emits, which have no promise). */
  check(): void {
    if (this.current === 'disconnected' || this.current === 'refused') throw this.reason as IpcError;
  }

  /**
   * Runs a request through the gate. `start` gets a signal the gate aborts
   * when it fails the request, so the endpoint drops it from its queue too.
   */
  request<T>(start: (signal: AbortSignal | undefined) => Promise<T>, callerSignal: AbortSignal | undefined): Promise<T> {
    try {
      this.check();
    } catch (error) {
      return Promise.reject(error);
    }
    const controller = new AbortController();
    const signal = callerSignal === undefined ? controller.signal : AbortSignal.any([callerSignal, controller.signal]);
    return new Promise<T>((resolve, reject) => {
      const entry: InFlight = {
        fail: (error) => {
          this.inFlight.delete(entry);
          reject(error);
          controller.abort(error);
        },
      };
      this.inFlight.add(entry);
      start(signal).then(
        (value) => {
          if (this.inFlight.delete(entry)) resolve(value);
        },
        (error: unknown) => {
          if (this.inFlight.delete(entry)) reject(error);
        },
      );
    });
  }

  private failAll(error: IpcError): void {
    for (const entry of [...this.inFlight]) entry.fail(error);
  }

  private set(state: ConnectionState, reason: IpcError | undefined, cause: IpcError | undefined = reason): void {
    this.current = state;
    this.reason = reason;
    this.onChange(state, cause);
  }
}
