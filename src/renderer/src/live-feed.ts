import { parseBridgeError, streamFrom } from 'ipcio/renderer';
import { byId } from './dom.js';
import type { AppApi } from './ipcio.js';

/** Items sysload may run ahead of what this page has shown: the stream's window. */
export const FEED_WINDOW = 4;
const FEED_EVERY_MS = 100;

/**
 * sysload's `samples` stream, shown as it comes. Pause simply stops reading:
 * no more credit goes out, so the helper's generator stops within
 * FEED_WINDOW samples. Resume reads again; Cancel aborts the stream, which
 * closes the generator.
 */
export class LiveFeedPanel {
  private readonly start = byId<HTMLButtonElement>('feed-start');
  private readonly pause = byId<HTMLButtonElement>('feed-pause');
  private readonly cancel = byId<HTMLButtonElement>('feed-cancel');
  private readonly status = byId('feed-status');
  private readonly last = byId('feed-last');
  private controller: AbortController | undefined;
  private paused = false;
  private resume: (() => void) | undefined;

  constructor(private readonly api: AppApi) {
    this.start.addEventListener('click', () => void this.run());
    this.pause.addEventListener('click', () => this.togglePause());
    this.cancel.addEventListener('click', () => {
      this.controller?.abort();
      this.resume?.();
    });
  }

  private async run(): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.paused = false;
    this.setRunning(true);
    let shown = 0;
    this.show('running', shown);
    try {
      for await (const sample of streamFrom(this.api, 'sysload', 'samples', { everyMs: FEED_EVERY_MS }, { window: FEED_WINDOW, signal: controller.signal })) {
        shown += 1;
        this.last.textContent = `#${sample.n}: load ${sample.loadavg[0].toFixed(2)} on ${sample.cpus} CPUs`;
        this.show(this.paused ? 'paused' : 'running', shown);
        // Paused: the loop waits here, so nothing more is read and no more credit goes to sysload.
        if (this.paused) await new Promise<void>((resolve) => (this.resume = resolve));
      }
      this.show('ended', shown);
    } catch (error) {
      const parsed = parseBridgeError(error);
      this.show(parsed?.code === 'CANCELLED' ? 'cancelled' : 'error', shown, parsed ? `${parsed.code}: ${parsed.message}` : String(error));
    } finally {
      if (this.controller === controller) this.setRunning(false);
    }
  }

  private togglePause(): void {
    this.paused = !this.paused;
    this.pause.textContent = this.paused ? 'Resume' : 'Pause';
    // 'paused' is shown by the loop once it has stopped reading: a sample already on its way when
    // the button was pressed is shown first, so the count never moves while 'paused' is on screen.
    this.status.dataset.state = this.paused ? 'pausing' : 'running';
    if (!this.paused) {
      const resume = this.resume;
      this.resume = undefined;
      resume?.();
    }
  }

  private setRunning(running: boolean): void {
    this.start.disabled = running;
    this.pause.disabled = !running;
    this.cancel.disabled = !running;
    if (!running) this.pause.textContent = 'Pause';
  }

  private show(state: string, shown: number, detail?: string): void {
    this.status.dataset.state = state;
    this.status.dataset.shown = String(shown);
    this.status.textContent = `${state}: ${shown} samples shown${detail ? ` (${detail})` : ''}`;
  }
}
