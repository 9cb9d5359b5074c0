import type { LoadSample } from '../../shared/app-contract.js';
import { byId, clock, el, prependCapped } from './dom.js';
import type { AppApi } from './ipcio.js';

const MAX_ENTRIES = 40;

/** Every broadcast this window hears, newest first, and the latest load average on top. */
export class BroadcastFeed {
  private readonly list = byId<HTMLOListElement>('broadcasts');
  private readonly loadNow = byId('load-now');

  constructor(api: AppApi) {
    api.on('load', ({ data, from }) => {
      this.loadNow.textContent = `load ${formatLoad(data)} · ${data.cpus} CPUs · from ${from} (pid ${data.pid})`;
      this.loadNow.dataset.pid = String(data.pid);
      this.add('load', from, formatLoad(data));
    });
    api.on('peerJoined', ({ data, from }) => this.add('peerJoined', from, data.name));
    api.on('peerLeft', ({ data, from }) => this.add('peerLeft', from, data.name));
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
