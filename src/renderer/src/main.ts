/**
 * The sidecar console's page. Everything it does goes through `window.ipcio`;
 * it is the same code in Electron and in browser mode.
 */
import { BroadcastFeed } from './broadcast-feed.js';
import { byId } from './dom.js';
import { getIpcio } from './ipcio.js';
import { LongRequestPanel } from './long-request.js';
import { PeersPanel } from './peers-panel.js';
import { RequestPanel } from './request-panel.js';

/** Shows why the page cannot work; the first reason stays (a refusal also fails the requests waiting on it). */
function fatal(message: string): void {
  const box = byId('fatal');
  if (!box.hidden) return;
  box.textContent = message;
  box.hidden = false;
}

async function main(): Promise<void> {
  const api = await getIpcio(fatal);
  // Listeners first: broadcasts that arrive while whoami is in flight are not lost.
  new BroadcastFeed(api);
  new LongRequestPanel(api);
  const requests = new RequestPanel(api);
  const me = await api.request('whoami');
  document.title = `sidecar console: ${me.name}`;
  byId('self-name').textContent = me.name;
  byId('mode').textContent = me.mode === 'browser' ? 'browser mode (development)' : 'electron';
  document.body.dataset.mode = me.mode;
  const peers = new PeersPanel(api, me.name, (list) => requests.setPeers(list));
  await peers.refresh();
  byId('new-window').addEventListener('click', () => {
    void api.request('newWindow').then(({ url }) => {
      // Electron opened the window itself; browser mode hands back the page URL to open.
      if (url !== undefined) window.open(url, '_blank', 'noopener');
    });
  });
  document.body.dataset.ready = 'true';
}

main().catch((error: unknown) => fatal(error instanceof Error ? error.message : String(error)));
