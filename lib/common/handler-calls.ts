import { ErrorCode, IpcError } from './errors.js';
import type { HandlerContainer } from './contract.js';
import type { HandlerRegistry } from './handler-registry.js';

export type ContainerFields = Omit<HandlerContainer<unknown>, 'signal' | 'command'>;

/**
 * One handler call's cancellation. The AbortController is made the first time
 * the handler reads `signal`: creating one costs microseconds on Node 20, more
 * than the rest of routing a small message, and most handlers never look.
 */
class CallSignal {
  private controller: AbortController | undefined;
  private reason: unknown;
  private aborted = false;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.controller !== undefined) {
      this.controller.abort(reason);
    } else if (!this.aborted) {
      this.aborted = true;
      this.reason = reason;
    }
  }
}

/**
 * The container a handler receives, filled field by field: on Node 20 the
 * object spread `{ ...fields, command, signal }` alone took about as long as
 * routing the message. `signal` is a getter on the prototype.
 */
class Container implements HandlerContainer<never> {
  readonly data: never;
  readonly client_name: string;
  readonly uuid: string;
  readonly socket: unknown;
  readonly server: unknown;

  constructor(
    fields: ContainerFields,
    readonly command: string,
    private readonly call: CallSignal,
  ) {
    this.data = fields.data as never;
    this.client_name = fields.client_name;
    this.uuid = fields.uuid;
    this.socket = fields.socket;
    this.server = fields.server;
  }

  get signal(): AbortSignal {
    return this.call.signal;
  }
}

/** How a handler call ended: its result, or the IpcError to send back. */
export type CallOutcome = { data: unknown; error?: undefined } | { error: IpcError; data?: undefined };

/**
 * The handler calls that arrived on ONE connection, by the request id the
 * requester chose there. An entry lives until its handler settles, or until
 * the request is cancelled or the connection goes: then its signal aborts,
 * the entry goes at once (a handler that never settles keeps nothing), and
 * the handler's eventual result is dropped — no answer after a cancel, and
 * never an answer to a later request that reused the id.
 */
export class HandlerCalls {
  /** Made on first use: a server holds one HandlerCalls per idle peer (heap per client). */
  private inFlight: Map<number, CallSignal> | undefined;
  private closed = false;

  constructor(private readonly registry: HandlerRegistry) {}

  /** Requests still being handled. */
  get size(): number {
    return this.inFlight?.size ?? 0;
  }

  /** True while request `id` is being handled (a second request with that id is a protocol error). */
  has(id: number): boolean {
    return this.inFlight?.has(id) ?? false;
  }

  /**
   * Runs the handler for request `id`. `answer` is called once with the outcome, and only while the
   * call is still current: not after `cancel(id)`, `cancelAll()`, or when there is no handler... then
   * it is called synchronously with NO_HANDLER.
   */
  request(id: number, command: string, fields: ContainerFields, answer: (outcome: CallOutcome) => void): void {
    const handler = this.registry.get(command);
    if (!handler) {
      answer({ error: new IpcError(ErrorCode.NO_HANDLER, `no handler for "${command}"`) });
      return;
    }
    if (this.closed) return;
    const call = new CallSignal();
    const inFlight = (this.inFlight ??= new Map());
    inFlight.set(id, call);
    const settle = (outcome: CallOutcome): void => {
      if (inFlight.get(id) !== call) return; // cancelled, or its connection went: nobody may get this answer
      inFlight.delete(id);
      answer(outcome);
    };
    let result: unknown;
    try {
      result = handler(new Container(fields, command, call));
    } catch (thrown) {
      settle({ error: IpcError.fromHandlerFailure(thrown) });
      return;
    }
    // A plain value is answered at once: no promise, no extra microtask per request.
    if (!isThenable(result)) {
      settle(isAsyncIterable(result) ? streamAnswered(result, command) : { data: result });
      return;
    }
    Promise.resolve(result).then(
      (data) => settle(isAsyncIterable(data) ? streamAnswered(data, command) : { data }),
      (thrown: unknown) => settle({ error: IpcError.fromHandlerFailure(thrown) }),
    );
  }

  /** Runs the handler for a one-way message. Returns false when there is none. */
  event(command: string, fields: ContainerFields, onError: (error: IpcError) => void): boolean {
    const handler = this.registry.get(command);
    if (!handler) return false;
    try {
      const result = handler(new Container(fields, command, new CallSignal()));
      if (result instanceof Promise) result.catch((thrown: unknown) => onError(IpcError.fromHandlerFailure(thrown)));
    } catch (thrown) {
      onError(IpcError.fromHandlerFailure(thrown));
    }
    return true;
  }

  /** The requester cancelled `id`: its handler's signal aborts and its answer will be dropped. */
  cancel(id: number, reason: IpcError): boolean {
    const call = this.inFlight?.get(id);
    if (!call) return false;
    this.inFlight?.delete(id);
    call.abort(reason);
    return true;
  }

  /** The connection went: every call aborts, every entry goes, and later requests are ignored. */
  cancelAll(reason: IpcError): void {
    this.closed = true;
    if (!this.inFlight) return;
    const calls = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const call of calls) call.abort(reason);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/** A request reached a stream handler: its generator is closed (its finally runs) and the requester learns why. */
function streamAnswered(iterable: AsyncIterable<unknown>, command: string): CallOutcome {
  const iterator = iterable as Partial<AsyncIterator<unknown>>;
  void Promise.resolve(iterator.return?.()).catch(() => undefined);
  return { error: new IpcError(ErrorCode.HANDLER_ERROR, `"${command}" is a stream: use stream() to read it, not request()`) };
}

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
