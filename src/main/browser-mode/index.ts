/**
 * Browser mode: the sidecar console without Electron, for development. The
 * same server and helpers as in Electron, the same renderer served on
 * 127.0.0.1, and pages joining over the WebSocket transport instead of the
 * preload. Run by `npm start` where no Electron binary exists.
 *
 * Environment: SIDECAR_CONSOLE_PORT (default: the last start's port if it
 * is free, else a free one; 0: always a free one), SIDECAR_CONSOLE_DOMAIN
 * (the socket's domain).
 */
import { join } from 'node:path';
import { allowPolicy } from 'ipcio';
import { WebSocketTransport } from 'ipcio';
import { appRoot } from '../app-root.js';
import { describeStartupFailure, startSidecarServer, type SidecarServer } from '../sidecar-server.js';
import { newPageToken, readPageSession, writePageSession } from './page-session.js';
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

const sidecar: SidecarServer = await startSidecarServer({
  mode: 'browser',
  // Only called for a page's request, so after the transport below exists.
  openWindow: () => {
    const name = names.next();
    return { name, url: pageUrl(transport, name) };
  },
}).catch((error: unknown) => {
  console.error(describeStartupFailure(error));
  process.exit(1);
});

// Beside the socket, in the directory the server has just checked is private.
const sessionPath = `${sidecar.server.socketPath.replace(/\.sock$/, '')}.browser-mode.json`;
const previous = readPageSession(sessionPath);
const token = previous?.token ?? newPageToken();
const listen = (port: number): Promise<WebSocketTransport> =>
  WebSocketTransport.listen(sidecar.server, {
    port,
    token,
    requestListener: staticFiles(join(appRoot(), 'out', 'renderer')),
    peerName: names.forPage,
    allow: allowPolicy(WINDOW_ALLOW, sidecar.server.name),
  });
const askedPort = process.env.SIDECAR_CONSOLE_PORT;
// The last start's port, so open pages find the app again; taken meanwhile, any free one (those pages then need the new URL).
const transport: WebSocketTransport = askedPort !== undefined && askedPort !== '' ? await listen(Number(askedPort)) : await listen(previous?.port ?? 0).catch(() => listen(0));
writePageSession(sessionPath, { port: transport.port, token });

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
