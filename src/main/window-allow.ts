import { allowPolicy, type AllowSpec } from 'ipcio/main';
import { WINDOW_COMMANDS, WINDOW_NAME, type AppContract } from '../shared/app-contract.js';

/** main's own commands and the two helpers', checked against the contract by the compiler. */
const LISTED: AllowSpec<AppContract> = {
  server: ['whoami', 'newWindow', 'helpers', 'killHelper'],
  clients: { hasher: '*', sysload: '*' },
};
const listed = allowPolicy(LISTED, 'main');

/**
 * What a window (Electron) or a page (browser mode) may call: main's own
 * commands, the two helpers', and another window's `greet` (windows are
 * named at run time, so a list cannot name them). Nothing else: a page
 * cannot broadcast as if it were a helper, nor send another window the
 * hasher's `progress`.
 */
export const WINDOW_ALLOW: AllowSpec<AppContract> = (command, target, kind) => {
  if (kind === 'request' && target !== undefined && WINDOW_NAME.test(target)) return (WINDOW_COMMANDS as readonly string[]).includes(command);
  return listed?.(command, target, kind) ?? false;
};
