import type { WindowName } from '../../shared/app-contract.js';

const WINDOW_NAME = /^window-([1-9]\d{0,5})$/;

/**
 * Names pages the way Electron's main names windows: window-1, window-2, ...
 * A page may ask for a window name again (a reload keeps its name in its
 * URL); anything else, a helper's name above all, is refused.
 */
export class WindowNames {
  private last = 0;

  /** The next unused number, for a window about to be opened. */
  next(): WindowName {
    this.last += 1;
    return `window-${this.last}`;
  }

  /** For the transport's peerName: the asked name if it is a window's, a fresh one if none was asked. */
  readonly forPage = (requested: string | undefined): WindowName | false => {
    if (requested === undefined) return this.next();
    const match = WINDOW_NAME.exec(requested);
    if (!match) return false;
    this.last = Math.max(this.last, Number(match[1]));
    return requested as WindowName;
  };
}
