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

  constructor(readonly owner: string) {}

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

/**
 * Runs handlers for incoming messages and keeps, for each request still being
 * handled, the cancellation its handler's `signal` comes from, so a cancel or
 * a disconnect of the requester reaches the handler.
 */
export class HandlerCalls {
  private readonly inFlight = new Map<string, CallSignal>();

  constructor(private readonly registry: HandlerRegistry) {}

  /** Runs the handler for a request; resolves to its result or rejects with an IpcError to send back. */
  async request(key: string, owner: string, command: string, fields: ContainerFields): Promise<unknown> {
    const handler = this.registry.get(command);
    if (!handler) throw new IpcError(ErrorCode.NO_HANDLER, `no handler for "${command}"`);
    const call = new CallSignal(owner);
    this.inFlight.set(key, call);
    try {
      return await handler(new Container(fields, command, call));
    } catch (thrown) {
      throw IpcError.fromHandlerFailure(thrown);
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Runs the handler for a one-way message. Returns false when there is none. */
  event(command: string, fields: ContainerFields, onError: (error: IpcError) => void): boolean {
    const handler = this.registry.get(command);
    if (!handler) return false;
    try {
      const result = handler(new Container(fields, command, new CallSignal('')));
      if (result instanceof Promise) result.catch((thrown: unknown) => onError(IpcError.fromHandlerFailure(thrown)));
    } catch (thrown) {
      onError(IpcError.fromHandlerFailure(thrown));
    }
    return true;
  }

  cancel(key: string, reason: IpcError): void {
    this.inFlight.get(key)?.abort(reason);
  }

  /** Aborts every handler working for `owner` (a peer that went away), or for everyone. */
  cancelAll(reason: IpcError, owner?: string): void {
    for (const call of this.inFlight.values()) {
      if (owner === undefined || call.owner === owner) call.abort(reason);
    }
  }
}
