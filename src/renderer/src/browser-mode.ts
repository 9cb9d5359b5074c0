import { connectIpcio } from 'ipcio/browser';
import type { AppContract, WindowName } from '../../shared/app-contract.js';

/**
 * Browser mode: `npm start` printed this page's URL with the WebSocket URL
 * and the token in its query. The page connects with them and defines
 * `window.ipcio` exactly as the preload would (one frozen, read-only object),
 * so the rest of the renderer cannot tell the modes apart.
 */
export function installBrowserModeIpcio(onRefused: (message: string) => void): void {
  const params = new URLSearchParams(location.search);
  const token = params.get('token');
  if (token === null) throw new Error('open the URL `npm start` printed: it carries the token this page needs');
  const url = params.get('ws') ?? `ws://${location.host}/ipcio`;
  // Only a request: the server decides the name (see WindowNames in browser mode).
  const name = (params.get('name') ?? undefined) as WindowName | undefined;
  const api = connectIpcio<AppContract, WindowName>({ url, token, name, onRefused: (error) => onRefused(error.message) });
  Object.defineProperty(window, 'ipcio', { value: api, enumerable: true });
  // The server named this page; keep the name in the URL so a reload comes back as the same window.
  if (name === undefined) {
    void api.request('whoami').then(({ name: given }) => {
      params.set('name', given);
      history.replaceState(history.state, '', `?${params}`);
    });
  }
}
