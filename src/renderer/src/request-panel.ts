import { parseBridgeError } from 'ipcio/renderer';
import { HELPER_NAMES } from '../../shared/app-contract.js';
import { byId, el } from './dom.js';
import type { AppApi, UntypedRequestFrom } from './ipcio.js';

/** A starting payload per command, so each one works with a click. */
const EXAMPLES: Record<string, unknown> = {
  'hasher.hashText': { text: 'hello, sidecar' },
  'hasher.hashFile': { path: 'package.json' },
  'hasher.longHash': { job: 'from-the-form', megabytes: 5 },
};

const REQUEST_TIMEOUT_MS = 15_000;

/** Sends one request to the chosen helper and shows its result, or its error with the code. */
export class RequestPanel {
  private readonly form = byId<HTMLFormElement>('request-form');
  private readonly target = byId<HTMLSelectElement>('request-target');
  private readonly command = byId<HTMLSelectElement>('request-command');
  private readonly data = byId<HTMLTextAreaElement>('request-data');
  private readonly outcome = byId('request-outcome');
  private readonly errorCode = byId('request-error-code');
  private readonly result = byId('request-result');
  private peers: Record<string, string[]> = {};

  constructor(private readonly api: AppApi) {
    this.target.replaceChildren(...HELPER_NAMES.map((name) => el('option', { value: name, textContent: name })));
    this.target.addEventListener('change', () => this.fillCommands());
    this.command.addEventListener('change', () => this.fillExample());
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.send();
    });
  }

  /** The commands each helper announced; a helper that is down keeps its last list. */
  setPeers(peers: Record<string, string[]>): void {
    for (const name of HELPER_NAMES) if (peers[name]) this.peers[name] = peers[name];
    this.fillCommands();
  }

  private fillCommands(): void {
    const chosen = this.command.value;
    const commands = this.peers[this.target.value] ?? [];
    if (commands.join() === Array.from(this.command.options).map((o) => o.value).join()) return;
    this.command.replaceChildren(...commands.map((name) => el('option', { value: name, textContent: name })));
    if (commands.includes(chosen)) this.command.value = chosen;
    this.fillExample();
  }

  private fillExample(): void {
    const example = EXAMPLES[`${this.target.value}.${this.command.value}`];
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
