import { connectIpcio } from 'ipcio/browser';
import type { AppContract, WindowName } from '../../shared/app-contract.js';
import type { ConnectionEvents } from './ipcio.js';

/** Between reconnect attempts while the app is away: soon enough to notice it back, rare enough not to flood the console. */
const RECONNECT = { minMs: 250, maxMs: 4_000 };

/**
 * Browser mode: `npm start` printed this page's URL with the WebSocket URL
 * and the token in its query. The page connects with them and defines
 * `window.ipcio` exactly as the preload would (one frozen, read-only object),
 * so the rest of the renderer cannot tell the modes apart.
 */
export function installBrowserModeIpcio(events: ConnectionEvents): void {
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  if (token === null) {
    const message = 'AUTH_FAILED: this URL has no token; open the URL `npm start` printed, which carries it';
    events.onStateChange('refused', message);
    throw new Error(message);
  }
  const url = params.get('ws') ?? `ws://${location.host}/ipcio`;
  // Only a request: the server decides the name (see WindowNames in browser mode).
  const name = (params.get('name') ?? undefined) as WindowName | undefined;
  const api = connectIpcio<AppContract, WindowName>({
    url,
    token,
    name,
    reconnect: RECONNECT,
    onStateChange: (state, error) => events.onStateChange(state, error && (state === 'refused' ? `${error.code}: ${error.message}` : error.message)),
  });
  Object.defineProperty(window, 'ipcio', { value: api, enumerable: true });
  // The server named this page; keep the name in the URL so a reload comes back as the same window.
  if (name === undefined) {
    void api.request('whoami').then(
      ({ name: given }) => {
        params.set('name', given);
        history.replaceState(history.state, '', `?${params}`);
      },
      // Refused or gone before the welcome: the connection view already says so.
      () => undefined,
    );
  }
}
