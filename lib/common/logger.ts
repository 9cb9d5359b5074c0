import { logSafe } from './log-text.js';
import { describeMessage, type Message } from './messages.js';

/** Anything with console's four levels. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** Writes one line per message when verbose; `direction` is "<-" for received, "->" for sent. */
export function traceMessage(logger: Logger, verbose: boolean, who: string, direction: '<-' | '->', peer: string, message: Message): void {
  if (verbose) logger.info(`[ipcio ${who}] ${direction} ${logSafe(peer)}: ${logSafe(describeMessage(message))}`);
}
