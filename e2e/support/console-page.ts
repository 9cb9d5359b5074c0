import { expect, type Locator, type Page } from '@playwright/test';

/**
 * The sidecar console's page as the scenarios see it, the same in browser
 * mode and in Electron: everything by the ids and data attributes
 * src/renderer/index.html and its panels set.
 */
export class ConsolePage {
  constructor(readonly page: Page) {}

  async ready(): Promise<void> {
    await expect(this.page.locator('body')).toHaveAttribute('data-ready', 'true');
    await expect(this.page.locator('#fatal')).toBeHidden();
  }

  async selfName(): Promise<string> {
    return (await this.page.locator('#self-name').textContent()) ?? '';
  }

  peer(name: string): Locator {
    return this.page.locator(`#peers li[data-peer="${name}"]`);
  }

  peerEvent(event: 'joined' | 'left' | 'kill' | 'present', name: string): Locator {
    return this.page.locator(`#peer-events li[data-event="${event}"][data-peer="${name}"]`);
  }

  /** The pid the peers panel shows for a helper. */
  async helperPid(name: string): Promise<number> {
    const text = (await this.peer(name).locator('.detail').textContent()) ?? '';
    const match = /pid (\d+)/.exec(text);
    if (!match) throw new Error(`no pid shown for ${name}: "${text}"`);
    return Number(match[1]);
  }

  /** Sends a request through the form; resolves once the outcome is shown. */
  async request(target: string, command: string, data?: unknown): Promise<{ state: string; code: string; text: string }> {
    await this.page.locator('#request-target').selectOption(target);
    await expect(this.page.locator(`#request-command option[value="${command}"]`)).toHaveCount(1);
    await this.page.locator('#request-command').selectOption(command);
    await this.page.locator('#request-data').fill(data === undefined ? '' : JSON.stringify(data));
    await this.page.locator('#request-send').click();
    const outcome = this.page.locator('#request-outcome');
    await expect(outcome).toHaveAttribute('data-state', /^(ok|error)$/);
    return {
      state: (await outcome.getAttribute('data-state')) ?? '',
      code: (await this.page.locator('#request-error-code').textContent()) ?? '',
      text: (await this.page.locator('#request-result').textContent()) ?? '',
    };
  }

  get longStatus(): Locator {
    return this.page.locator('#long-status');
  }

  async startLong(megabytes: number): Promise<void> {
    await this.page.locator('#long-megabytes').fill(String(megabytes));
    await this.page.locator('#long-start').click();
  }

  async longProgress(): Promise<number> {
    return this.page.locator('#long-progress').evaluate((bar) => (bar as HTMLProgressElement).value);
  }

  async killHelper(name: string): Promise<void> {
    await this.peer(name).locator('button[data-kill]').click();
  }
}
