import type { LoadSample } from '../../shared/app-contract.js';
import { byId, clock, el, prependCapped } from './dom.js';
import type { AppApi } from './ipcio.js';

const MAX_ENTRIES = 40;

/**
 * The broadcasts this window hears. sysload's load average comes every
 * second: it is a value, shown as the latest one, not a line each time, so
 * the feed below keeps the events (peers joining and leaving).
 */
export class BroadcastFeed {
  private readonly list = byId<HTMLOListElement>('broadcasts');
  private readonly loadNow = byId('load-now');
  private samples = 0;

  constructor(api: AppApi) {
    api.on('load', ({ data, from }) => {
      this.samples += 1;
      this.loadNow.textContent = `load ${formatLoad(data)} · ${data.cpus} CPUs · from ${from} (pid ${data.pid}) at ${clock()}`;
      this.loadNow.dataset.pid = String(data.pid);
      this.loadNow.dataset.samples = String(this.samples);
    });
    api.on('peerJoined', ({ data, from }) => this.add('peerJoined', from, data.name));
    api.on('peerLeft', ({ data, from }) => this.add('peerLeft', from, data.name));
  }

  /** No app, no load: an old figure must not look current. */
  lost(): void {
    this.loadNow.textContent = 'load: no connection to the app';
    delete this.loadNow.dataset.pid;
  }

  private add(command: string, from: string, text: string): void {
    const entry = el('li', {}, `${clock()} ${command} from ${from}: ${text}`);
    entry.dataset.command = command;
    prependCapped(this.list, entry, MAX_ENTRIES);
  }
}

function formatLoad(sample: LoadSample): string {
  return sample.loadavg.map((value) => value.toFixed(2)).join(' ');
}
