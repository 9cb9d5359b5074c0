import { ErrorCode, IpcError } from './errors.js';
import type { HandlerContainer } from './contract.js';
import type { HandlerRegistry } from './handler-registry.js';

export type ContainerFields = Omit<HandlerContainer<unknown>, 'signal' | 'command'>;

/**
 * Runs handlers for incoming messages and keeps, for each request still being
 * handled, the AbortController its handler's `signal` comes from, so a cancel
 * or a disconnect of the requester reaches the handler.
 */
export class HandlerCalls {
  private readonly inFlight = new Map<string, { controller: AbortController; owner: string }>();

  constructor(private readonly registry: HandlerRegistry) {}

  /** Runs the handler for a request; resolves to its result or rejects with an IpcError to send back. */
  async request(key: string, owner: string, command: string, fields: ContainerFields): Promise<unknown> {
    const handler = this.registry.get(command);
    if (!handler) throw new IpcError(ErrorCode.NO_HANDLER, `no handler for "${command}"`);
    const controller = new AbortController();
    this.inFlight.set(key, { controller, owner });
    try {
      return await handler({ ...fields, command, signal: controller.signal } as HandlerContainer<never>);
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
    const signal = new AbortController().signal;
    try {
      const result = handler({ ...fields, command, signal } as HandlerContainer<never>);
      if (result instanceof Promise) result.catch((thrown: unknown) => onError(IpcError.fromHandlerFailure(thrown)));
    } catch (thrown) {
      onError(IpcError.fromHandlerFailure(thrown));
    }
    return true;
  }

  cancel(key: string, reason: IpcError): void {
    this.inFlight.get(key)?.controller.abort(reason);
  }

  /** Aborts every handler working for `owner` (a peer that went away), or for everyone. */
  cancelAll(reason: IpcError, owner?: string): void {
    for (const { controller, owner: o } of this.inFlight.values()) {
      if (owner === undefined || o === owner) controller.abort(reason);
    }
  }
}
