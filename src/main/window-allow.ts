import type { AllowSpec } from 'ipcio';
import type { AppContract } from '../shared/app-contract.js';

/**
 * What a window (Electron) or a page (browser mode) may call: main's own
 * commands and the two helpers'. Nothing else: a page cannot broadcast as if
 * it were a helper, nor reach another window's handlers.
 */
export const WINDOW_ALLOW: AllowSpec<AppContract> = {
  server: ['whoami', 'newWindow', 'helpers', 'killHelper'],
  clients: { hasher: '*', sysload: '*' },
};
