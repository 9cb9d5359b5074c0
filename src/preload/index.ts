/**
 * The sidecar console's preload (sandboxed, context-isolated, bundled to one
 * CommonJS file). Main names the window when it attaches it, so no name is
 * given here; the page gets `window.ipcio` and nothing else.
 */
import { exposeIpcio } from 'ipcio/preload';

exposeIpcio();
