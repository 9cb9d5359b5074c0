import { byId } from './dom.js';
import type { PageConnectionState } from './ipcio.js';

const LABELS: Record<PageConnectionState, string> = {
  connecting: 'connecting…',
  connected: 'connected',
  disconnected: 'disconnected',
  refused: 'refused',
};

/**
 * The page's connection, visible: a badge, a banner that says what happened
 * and what comes next, and every control disabled (one fieldset) whenever
 * the app cannot be reached, so nothing looks clickable that cannot work.
 */
export class ConnectionView {
  private readonly badge = byId('connection');
  private readonly controls = byId<HTMLFieldSetElement>('controls');
  private readonly banner = byId('connection-banner');
  private readonly fatalBox = byId('fatal');

  show(state: PageConnectionState, message?: string): void {
    document.body.dataset.connection = state;
    this.badge.dataset.state = state;
    this.badge.textContent = LABELS[state];
    this.controls.disabled = state !== 'connected';
    if (state === 'disconnected') {
      this.banner.textContent = `Lost the connection to the app${message ? ` (${message})` : ''}. Until it is back, requests fail at once with DISCONNECTED; this page reconnects by itself when it is.`;
      this.banner.hidden = false;
    } else {
      this.banner.hidden = true;
    }
    if (state === 'refused') this.fatal(`The app refused this page: ${message ?? 'no reason given'}. Open the URL \`npm start\` printed (it carries the token), from that address.`);
  }

  /** Why the page cannot work at all; the first reason stays (a refusal also fails the requests waiting on it). */
  fatal(message: string): void {
    if (!this.fatalBox.hidden) return;
    this.fatalBox.textContent = message;
    this.fatalBox.hidden = false;
  }
}
