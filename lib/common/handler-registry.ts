import { ErrorCode, IpcError } from './errors.js';
import { INTERNAL_COMMAND_PREFIX, RESERVED_COMMANDS } from './messages.js';
import type { HandlerContainer } from './contract.js';

type AnyHandler = (container: HandlerContainer<never>) => unknown;

/** Command name → handler, refusing reserved names and second handlers at registration. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, AnyHandler>();

  /** Adds every handler of `collection` or none: a bad entry leaves the registry unchanged. */
  addAll(collection: object | undefined): void {
    if (collection === undefined || collection === null) return;
    if (typeof collection !== 'object') {
      throw new IpcError(ErrorCode.INVALID_ARGUMENT, 'handlers must be an object of command → function');
    }
    const entries = Object.entries(collection).filter(([, handler]) => handler !== undefined);
    for (const [command, handler] of entries) {
      checkCommandName(command);
      if (typeof handler !== 'function') {
        throw new IpcError(ErrorCode.INVALID_ARGUMENT, `handler for "${command}" must be a function`);
      }
      if (this.handlers.has(command)) {
        throw new IpcError(ErrorCode.DUPLICATE_HANDLER, `a handler for "${command}" is already registered`);
      }
    }
    for (const [command, handler] of entries) this.handlers.set(command, handler as AnyHandler);
  }

  /** ipcio's own server commands (`ipcio:wait`): exempt from the reserved-name check, left out of names(). */
  addBuiltIn(command: string, handler: (container: HandlerContainer<unknown>) => unknown): void {
    if (!command.startsWith(INTERNAL_COMMAND_PREFIX)) throw new IpcError(ErrorCode.INVALID_ARGUMENT, `built-in "${command}" needs the "${INTERNAL_COMMAND_PREFIX}" prefix`);
    this.handlers.set(command, handler as AnyHandler);
  }

  get(command: string): AnyHandler | undefined {
    return this.handlers.get(command);
  }

  names(): string[] {
    return [...this.handlers.keys()].filter((command) => !command.startsWith(INTERNAL_COMMAND_PREFIX));
  }

  /** Forgets the handler for `command`; true when there was one. */
  remove(command: string): boolean {
    return this.handlers.delete(command);
  }
}

export function checkCommandName(command: string): void {
  if (typeof command !== 'string' || command.length === 0) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, 'a command name must be a non-empty string');
  }
  if (RESERVED_COMMANDS.has(command) || command.startsWith(INTERNAL_COMMAND_PREFIX)) {
    throw new IpcError(
      ErrorCode.RESERVED_COMMAND,
      `"${command}" is reserved (reserved: ${[...RESERVED_COMMANDS].join(', ')}, and the prefix "${INTERNAL_COMMAND_PREFIX}")`,
    );
  }
}
