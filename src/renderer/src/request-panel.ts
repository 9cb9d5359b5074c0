import { parseBridgeError } from 'ipcio/renderer';
import { HELPER_NAMES, WINDOW_COMMANDS, WINDOW_NAME } from '../../shared/app-contract.js';
import { byId, el } from './dom.js';
import type { AppApi, UntypedRequestFrom } from './ipcio.js';

/** A starting payload per command, so each one works with a click. */
const EXAMPLES: Record<string, unknown> = {
  'hasher.hashText': { text: 'hello, sidecar' },
  'hasher.hashFile': { path: 'package.json' },
  'window.greet': { text: 'hello from another window' },
};

const REQUEST_TIMEOUT_MS = 15_000;

/** Sends one request to the chosen helper or window and shows its result, or its error with the code. */
export class RequestPanel {
  private readonly form = byId<HTMLFormElement>('request-form');
  private readonly target = byId<HTMLSelectElement>('request-target');
  private readonly command = byId<HTMLSelectElement>('request-command');
  private readonly data = byId<HTMLTextAreaElement>('request-data');
  private readonly outcome = byId('request-outcome');
  private readonly errorCode = byId('request-error-code');
  private readonly result = byId('request-result');
  /** The commands each helper announced; a helper that is down keeps its last list. */
  private readonly helperCommands: Record<string, string[]> = {};
  private windows: string[] = [];

  constructor(private readonly api: AppApi) {
    this.fillTargets();
    this.target.addEventListener('change', () => this.fillCommands());
    this.command.addEventListener('change', () => this.fillExample());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
  }

  /** Helpers, then the other windows (this one is not a target: it would answer itself). */
  setPeers(peers: Record<string, string[]>, selfName: string): void {
    for (const name of HELPER_NAMES) if (peers[name]) this.helperCommands[name] = peers[name];
    this.windows = Object.keys(peers)
      .filter((name) => WINDOW_NAME.test(name) && name !== selfName)
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    this.fillTargets();
  }

  private fillTargets(): void {
    const chosen = this.target.value;
    const names = [...HELPER_NAMES, ...this.windows];
    if (names.join() !== Array.from(this.target.options).map((o) => o.value).join()) {
      this.target.replaceChildren(...names.map((name) => el('option', { value: name, textContent: WINDOW_NAME.test(name) ? `${name} (window)` : name })));
      if (names.includes(chosen)) this.target.value = chosen;
    }
    this.fillCommands();
  }

  private fillCommands(): void {
    const chosen = this.command.value;
    const commands = WINDOW_NAME.test(this.target.value) ? [...WINDOW_COMMANDS] : (this.helperCommands[this.target.value] ?? []);
    if (commands.join() === Array.from(this.command.options).map((o) => o.value).join()) return;
    this.command.replaceChildren(...commands.map((name) => el('option', { value: name, textContent: name })));
    if (commands.includes(chosen)) this.command.value = chosen;
    this.fillExample();
  }

  private fillExample(): void {
    const kind = WINDOW_NAME.test(this.target.value) ? 'window' : this.target.value;
    const example = EXAMPLES[`${kind}.${this.command.value}`];
    this.data.value = example === undefined ? '' : JSON.stringify(example);
  }

  private async send(): Promise<void> {
    let data: unknown;
    try {
      data = this.data.value.trim() === '' ? undefined : JSON.parse(this.data.value);
    } catch (error) {
      this.show('error', 'BAD_JSON', (error as Error).message);
      return;
    }
    this.show('pending', '', '…');
    try {
      const requestFrom = this.api.requestFrom as UntypedRequestFrom;
      const value = await requestFrom(this.target.value, this.command.value, data, { timeoutMs: REQUEST_TIMEOUT_MS });
      this.show('ok', '', JSON.stringify(value, null, 2));
    } catch (error) {
      const parsed = parseBridgeError(error);
      const code = parsed ? `${parsed.code}${parsed.remoteCode ? ` · ${parsed.remoteCode}` : ''}` : 'ERROR';
      this.show('error', code, parsed?.message ?? String(error));
    }
  }

  private show(state: 'pending' | 'ok' | 'error', code: string, text: string): void {
    this.outcome.dataset.state = state;
    this.errorCode.textContent = code;
    this.result.textContent = text;
  }
}
