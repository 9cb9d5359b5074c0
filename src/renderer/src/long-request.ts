import { parseBridgeError, streamFrom } from 'ipcio/renderer';
import type { LongHashStep, Progress } from '../../shared/app-contract.js';
import { byId } from './dom.js';
import type { AppApi } from './ipcio.js';

/**
 * A long job with live progress and a Cancel button, over a stream: the
 * hasher yields one step per MiB and the last step carries the digest.
 * Cancel aborts the stream's signal: the loop ends with CANCELLED and the
 * hasher's generator is closed. Its last word (an emit, "cancelled at n")
 * shows that it really stopped.
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
      // streamFrom wraps the page API's pull functions into an AsyncIterable on this side of contextBridge, so a plain AbortSignal works.
      for await (const step of streamFrom(this.api, 'hasher', 'longHash', { job, megabytes }, { signal: controller.signal })) this.onStep(step);
    } catch (error) {
      const parsed = parseBridgeError(error);
      if (parsed?.code === 'CANCELLED') this.show('cancelled', `CANCELLED after ${this.lastDone} of ${megabytes} MiB (${percent(this.bar.value)}); waiting for the hasher to stop…`);
      else this.show('error', `${parsed?.code ?? 'ERROR'}${parsed?.remoteCode ? ` · ${parsed.remoteCode}` : ''}: ${parsed?.message ?? String(error)}`);
    } finally {
      if (this.job === job) this.setRunning(false);
    }
  }

  private onStep(step: LongHashStep): void {
    this.bar.value = step.done / step.total;
    this.lastDone = step.done;
    if (step.result) this.show('done', `done: sha256 ${step.result.hex} (${step.result.bytes} bytes)`);
    else this.show('working', `${step.done} of ${step.total} MiB (${percent(this.bar.value)})`);
  }

  /** Only the hasher's last word after a cancel comes this way; the steps come on the stream. */
  private onProgress(progress: Progress): void {
    if (progress.job !== this.job) return;
    if (progress.state === 'cancelled') {
      // The hasher's own count is the true one (it got further after the page's last progress): one figure, shown once.
      this.bar.value = progress.done / progress.total;
      this.lastDone = progress.done;
      this.status.dataset.helperStopped = 'true';
      this.status.textContent = `CANCELLED: the hasher stopped after ${progress.done} of ${progress.total} MiB (${percent(this.bar.value)})`;
    }
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
