import { parseBridgeError } from 'ipcio/renderer';
import { HELPER_NAMES, type HelperStatus, type PeerNotice } from '../../shared/app-contract.js';
import { byId, clock, el, prependCapped } from './dom.js';
import type { AppApi } from './ipcio.js';

const MAX_EVENTS = 30;

/**
 * Who is connected, live: discovery for the full picture, and main's
 * peerJoined/peerLeft broadcasts for each change as it happens. Helpers get
 * a Kill button; main SIGKILLs them and the supervisor brings them back.
 */
export class PeersPanel {
  private readonly list = byId<HTMLUListElement>('peers');
  private readonly events = byId<HTMLOListElement>('peer-events');
  private peers: Record<string, string[]> = {};
  private helpers = new Map<string, HelperStatus>();
  private refreshCount = 0;
  private selfName = '';

  constructor(
    private readonly api: AppApi,
    private readonly onPeersChanged: (peers: Record<string, string[]>, selfName: string) => void,
  ) {
    api.on('peerJoined', ({ data }) => this.joined(data));
    api.on('peerLeft', ({ data }) => this.left(data));
    this.list.addEventListener('click', (event) => {
      const button = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-kill]');
      if (button) void this.kill(button.dataset.kill as string, button);
    });
  }

  /**
   * The list as it is now, and one "is here" line per peer already connected:
   * they joined before this window did, so no peerJoined told it of them.
   */
  async start(selfName: string): Promise<void> {
    this.selfName = selfName;
    await this.refresh();
    for (const name of Object.keys(this.peers).sort(byKindThenName)) {
      if (name !== selfName) this.log(`${name} is here (${this.kindOf(name)})`, 'present', name);
    }
  }

  /** The app is gone, and with it every peer this list showed. */
  lost(logIt: boolean): void {
    this.refreshCount += 1;
    if (logIt) this.log('connection to the app lost', 'lost', this.selfName);
    this.peers = {};
    this.helpers.clear();
    this.render();
  }

  /** Discovery and helper status, together; an older refresh that finishes late is dropped. */
  async refresh(): Promise<void> {
    const mine = ++this.refreshCount;
    let discovery: Awaited<ReturnType<AppApi['discover']>>;
    let helpers: HelperStatus[];
    try {
      [discovery, helpers] = await Promise.all([this.api.discover(), this.api.request('helpers')]);
    } catch (error) {
      // A refresh a peer notice started, cut short by a lost connection: the connection view says so.
      if (mine !== this.refreshCount) return;
      throw error;
    }
    if (mine !== this.refreshCount) return;
    this.peers = discovery.peers;
    this.helpers = new Map(helpers.map((helper) => [helper.name, helper]));
    this.render();
  }

  private joined(notice: PeerNotice): void {
    this.log(`${notice.name} joined (${notice.kind})`, 'joined', notice.name);
    void this.refresh().catch(() => undefined);
  }

  private left(notice: PeerNotice): void {
    this.log(`${notice.name} left`, 'left', notice.name);
    delete this.peers[notice.name];
    this.render();
    void this.refresh().catch(() => undefined);
  }

  private async kill(name: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const { pid } = await this.api.request('killHelper', { name });
      this.log(`asked main to kill ${name} (pid ${pid})`, 'kill', name);
    } catch (error) {
      this.log(`kill ${name} failed: ${parseBridgeError(error)?.remoteCode ?? String(error)}`, 'error', name);
      button.disabled = false;
    }
  }

  private render(): void {
    const names = Object.keys(this.peers).sort(byKindThenName);
    this.list.replaceChildren(...names.map((name) => this.item(name, this.peers[name] ?? [])));
    this.onPeersChanged(this.peers, this.selfName);
  }

  private kindOf(name: string): string {
    return this.helpers.has(name) ? 'helper' : name.startsWith('window-') ? 'window' : 'client';
  }

  private item(name: string, commands: string[]): HTMLLIElement {
    const helper = this.helpers.get(name);
    const kind = this.kindOf(name);
    const detail = helper
      ? `${helper.language} helper · pid ${helper.pid ?? '-'} · ${helper.restarts} restart${helper.restarts === 1 ? '' : 's'}`
      : kind === 'window'
        ? 'window'
        : `${kind}${commands.length > 0 ? ` · handles ${commands.join(', ')}` : ''}`;
    const item = el('li', { className: name === this.selfName ? 'self' : '' }, el('span', { className: 'name' }, name), el('span', { className: 'detail' }, detail));
    item.dataset.peer = name;
    item.dataset.kind = kind;
    if (helper) {
      const button = el('button', { type: 'button', textContent: 'Kill' });
      button.dataset.kill = name;
      item.append(button);
    }
    return item;
  }

  private log(text: string, kind: string, peer: string): void {
    const entry = el('li', {}, `${clock()} ${text}`);
    entry.dataset.event = kind;
    entry.dataset.peer = peer;
    prependCapped(this.events, entry, MAX_EVENTS);
  }
}

function byKindThenName(a: string, b: string): number {
  const rank = (name: string): number => ((HELPER_NAMES as readonly string[]).includes(name) ? 0 : name.startsWith('window-') ? 1 : 2);
  return rank(a) - rank(b) || a.localeCompare(b, undefined, { numeric: true });
}
