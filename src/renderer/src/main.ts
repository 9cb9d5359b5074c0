/**
 * The sidecar console's page. Everything it does goes through `window.ipcio`;
 * it is the same code in Electron and in browser mode.
 */
import { BroadcastFeed } from './broadcast-feed.js';
import { ConnectionView } from './connection-view.js';
import { byId } from './dom.js';
import { getIpcio, type AppApi, type PageConnectionState } from './ipcio.js';
import { LiveFeedPanel } from './live-feed.js';
import { LongRequestPanel } from './long-request.js';
import { PeersPanel } from './peers-panel.js';
import { RequestPanel } from './request-panel.js';

const view = new ConnectionView();

/** Everything that depends on who this window is and who else is there; run again after each reconnect. */
class Session {
  private readonly selfName = byId('self-name');
  private readonly feed: BroadcastFeed;
  private readonly peers: PeersPanel;
  private readonly requests: RequestPanel;
  private generation = 0;

  constructor(private readonly api: AppApi) {
    // Listeners first: broadcasts that arrive while whoami is in flight are not lost.
    this.feed = new BroadcastFeed(api);
    new LongRequestPanel(api);
    new LiveFeedPanel(api);
    this.requests = new RequestPanel(api);
    this.peers = new PeersPanel(api, (list, self) => this.requests.setPeers(list, self));
    api.handle('greet', ({ data, from }) => ({ answeredBy: this.selfName.textContent ?? '', text: `${from} said: ${data.text}` }));
    byId('new-window').addEventListener('click', () => {
      void api.request('newWindow').then(({ url }) => {
        // Electron opened the window itself; browser mode hands back the page URL to open.
        if (url !== undefined) window.open(url, '_blank', 'noopener');
      });
    });
  }

  /** Who am I, who is here: at start and after every reconnect (a restarted app may name this page anew). */
  async begin(): Promise<void> {
    const mine = ++this.generation;
    const me = await this.api.request('whoami');
    if (mine !== this.generation) return;
    document.title = `sidecar console: ${me.name}`;
    this.selfName.textContent = me.name;
    this.selfName.hidden = false;
    await this.peers.start(me.name);
    if (mine !== this.generation) return;
    view.show('connected');
    document.body.dataset.ready = 'true';
  }

  /** The app is gone (or never let this page in): what the page showed about it is no longer true. */
  lost(state: 'disconnected' | 'refused'): void {
    this.generation += 1;
    delete document.body.dataset.ready;
    this.peers.lost(state === 'disconnected');
    this.feed.lost();
  }
}

let session: Session | undefined;
/** True from a loss until the next begin: the first connection is begun by main(), every later one here. */
let stale = false;

function onStateChange(state: PageConnectionState, message?: string): void {
  if (state === 'connected') {
    // Shown as connected once whoami and the peer list are in, so the controls never act on stale state.
    if (stale && session) {
      stale = false;
      void session.begin().catch(() => undefined);
    }
    return;
  }
  if (state === 'disconnected' || state === 'refused') {
    stale = true;
    session?.lost(state);
  }
  view.show(state, message);
}

async function main(): Promise<void> {
  // Known before any answer (the preload defines window.ipcio first): a refused page still says which mode it is in.
  const mode = window.ipcio ? 'electron' : 'browser';
  const modeBadge = byId('mode');
  modeBadge.textContent = mode === 'browser' ? 'browser mode (development)' : 'electron';
  modeBadge.hidden = false;
  document.body.dataset.mode = mode;
  const { api } = await getIpcio({ onStateChange });
  session = new Session(api);
  await session.begin();
}

main().catch((error: unknown) => {
  // A refusal has already said why, with its code; anything else is shown here.
  if (document.body.dataset.connection === 'refused' || document.body.dataset.connection === 'disconnected') return;
  view.fatal(error instanceof Error ? error.message : String(error));
});
