/**
 * Browser mode: the sidecar console without Electron, for development. The
 * same server and helpers as in Electron, the same renderer served on
 * 127.0.0.1, and pages joining over the WebSocket transport instead of the
 * preload. Run by `npm start` where no Electron binary exists.
 *
 * Environment: SIDECAR_CONSOLE_PORT (default 0: a free port),
 * SIDECAR_CONSOLE_DOMAIN (the socket's domain).
 */
import { join } from 'node:path';
import { allowPolicy } from 'ipcio';
import { WebSocketTransport } from 'ipcio';
import { appRoot } from '../app-root.js';
import { startSidecarServer } from '../sidecar-server.js';
import { WINDOW_ALLOW } from '../window-allow.js';
import { staticFiles } from './static-files.js';
import { WindowNames } from './window-names.js';

const names = new WindowNames();

/** The page URL for a window: the WebSocket URL and token ride in the query, the name too when it is chosen. */
function pageUrl(transport: WebSocketTransport, name?: string): string {
  const query = new URLSearchParams({ ws: transport.url, token: transport.token });
  if (name !== undefined) query.set('name', name);
  return `${transport.origin}/?${query}`;
}

const sidecar = await startSidecarServer({
  mode: 'browser',
  // Only called for a page's request, so after the transport below exists.
  openWindow: () => {
    const name = names.next();
    return { name, url: pageUrl(transport, name) };
  },
}).catch((error: { code?: string; message?: string }) => {
  // DOMAIN_IN_USE above all: another sidecar console already runs on this socket.
  console.error(`sidecar console could not start: ${error.code ?? 'ERROR'}: ${error.message ?? String(error)}`);
  process.exit(1);
});
const transport = await WebSocketTransport.listen(sidecar.server, {
  port: Number(process.env.SIDECAR_CONSOLE_PORT ?? 0),
  requestListener: staticFiles(join(appRoot(), 'out', 'renderer')),
  peerName: names.forPage,
  allow: allowPolicy(WINDOW_ALLOW, sidecar.server.name),
});

console.log(`sidecar console, browser mode (development only): open ${pageUrl(transport)}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await transport.close();
  await sidecar.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
