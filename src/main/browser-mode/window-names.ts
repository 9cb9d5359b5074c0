import type { WindowName } from '../../shared/app-contract.js';

/**
 * The largest window number: 15 digits, so every number stays an exact
 * integer (under Number.MAX_SAFE_INTEGER) and every name `next()` hands out
 * is one `forPage` accepts back on a reload.
 */
export const MAX_WINDOW_NUMBER = 999_999_999_999_999;
const WINDOW_NAME = /^window-([1-9]\d{0,14})$/;

/**
 * Names pages the way Electron's main names windows: window-1, window-2, ...
 * A page may ask for a window name again (a reload keeps its name in its
 * URL); anything else, a helper's name above all, is refused.
 */
export class WindowNames {
  private last = 0;

  /** The next unused number, for a window about to be opened; throws once all are used (the caller gets HANDLER_ERROR). */
  next(): WindowName {
    if (this.last >= MAX_WINDOW_NUMBER) throw new Error(`every window number up to ${MAX_WINDOW_NUMBER} was handed out`);
    this.last += 1;
    return `window-${this.last}`;
  }

  /** For the transport's peerName: the asked name if it is a window's, a fresh one if none was asked. */
  readonly forPage = (requested: string | undefined): WindowName | false => {
    if (requested === undefined) return this.last >= MAX_WINDOW_NUMBER ? false : this.next();
    const match = WINDOW_NAME.exec(requested);
    if (!match) return false;
    this.last = Math.max(this.last, Number(match[1]));
    return requested as WindowName;
  };
}
