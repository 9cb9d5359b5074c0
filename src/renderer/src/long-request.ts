import { bridgeSignal, parseBridgeError } from 'ipcio/renderer';
import type { Progress } from '../../shared/app-contract.js';
import { byId } from './dom.js';
import type { AppApi } from './ipcio.js';

/**
 * A long request with live progress and a Cancel button. The hasher emits
 * `progress` to this window after each step; Cancel aborts the request's
 * signal, which the server turns into a cancel for the hasher's handler. The
 * hasher's last word ("cancelled at n") shows that it really stopped.
 */
export class LongRequestPanel {
  private readonly megabytes = byId<HTMLInputElement>('long-megabytes');
  private readonly start = byId<HTMLButtonElement>('long-start');
  private readonly cancel = byId<HTMLButtonElement>('long-cancel');
  private readonly bar = byId<HTMLProgressElement>('long-progress');
  private readonly status = byId('long-status');
  private job: string | undefined;
  private controller: AbortController | undefined;
  private jobCount = 0;
  private lastDone = 0;

  constructor(private readonly api: AppApi) {
    api.on('progress', ({ data }) => this.onProgress(data));
    this.start.addEventListener('click', () => void this.run());
    this.cancel.addEventListener('click', () => this.controller?.abort());
  }

  private async run(): Promise<void> {
    const megabytes = Number(this.megabytes.value);
    const job = `job-${++this.jobCount}`;
    const controller = new AbortController();
    this.job = job;
    this.controller = controller;
    this.setRunning(true);
    this.bar.value = 0;
    this.lastDone = 0;
    this.show('working', `starting ${megabytes} MiB…`);
    try {
      // An AbortSignal does not survive contextBridge; bridgeSignal's functions do, and work in browser mode too.
      const result = await this.api.requestFrom('hasher', 'longHash', { job, megabytes }, { signal: bridgeSignal(controller.signal), timeoutMs: 0 });
      this.show('done', `done: sha256 ${result.hex} (${result.bytes} bytes)`);
    } catch (error) {
      const parsed = parseBridgeError(error);
      if (parsed?.code === 'CANCELLED') this.show('cancelled', `CANCELLED after ${this.lastDone} of ${megabytes} MiB (${percent(this.bar.value)}); waiting for the hasher to stop…`);
      else this.show('error', `${parsed?.code ?? 'ERROR'}${parsed?.remoteCode ? ` · ${parsed.remoteCode}` : ''}: ${parsed?.message ?? String(error)}`);
    } finally {
      if (this.job === job) this.setRunning(false);
    }
  }

  private onProgress(progress: Progress): void {
    if (progress.job !== this.job) return;
    if (progress.state === 'cancelled') {
      // The hasher's own count is the true one (it got further after the page's last progress): one figure, shown once.
      this.bar.value = progress.done / progress.total;
      this.lastDone = progress.done;
      this.status.dataset.helperStopped = 'true';
      this.status.textContent = `CANCELLED: the hasher stopped after ${progress.done} of ${progress.total} MiB (${percent(this.bar.value)})`;
      return;
    }
    if (this.status.dataset.state !== 'working') return;
    this.bar.value = progress.done / progress.total;
    this.lastDone = progress.done;
    this.show('working', `${progress.done} of ${progress.total} MiB (${percent(this.bar.value)})`);
  }

  private setRunning(running: boolean): void {
    this.start.disabled = running;
    this.cancel.disabled = !running;
  }

  private show(state: string, text: string): void {
    this.status.dataset.state = state;
    if (state !== 'cancelled') delete this.status.dataset.helperStopped;
    this.status.textContent = text;
  }
}

function percent(fraction: number): string {
  return `${Math.floor(fraction * 100)}%`;
}
