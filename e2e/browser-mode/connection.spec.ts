import { expect, test } from '@playwright/test';
import { existsSync } from 'node:fs';
import { startBrowserModeApp, type BrowserModeApp } from '../support/app-process.js';
import { CHROMIUM_PATH } from '../support/chromium.js';
import { ConsolePage } from '../support/console-page.js';

/**
 * The page's connection to the app, with real processes: the app is stopped
 * under an open page and started again on the same domain (it takes back its
 * port and token), so the page must show the loss at once and come back by
 * itself. Its own app, not the shared one: this test stops it.
 */
test.describe('the page and a stopped app', () => {
  test.beforeAll(() => {
    if (!existsSync(CHROMIUM_PATH)) throw new Error(`Debian's Chromium is missing at ${CHROMIUM_PATH}: run "apt-get install -y chromium"`);
  });

  test('shows the loss at once, fails requests with DISCONNECTED, and reconnects when the app is back', async ({ page }) => {
    const started: BrowserModeApp[] = [];
    try {
      const first = await startBrowserModeApp();
      started.push(first);
      await page.goto(first.url);
      const view = new ConsolePage(page);
      await view.ready();
      await expect(page.locator('#connection')).toHaveText('connected');
      const pidsBefore = [await view.helperPid('hasher'), await view.helperPid('sysload')];

      // A request under way when the app goes: it must fail by itself, with no timeout to wait for (timeoutMs 0 is none).
      await view.startLong(2000);
      await expect(view.longStatus).toHaveAttribute('data-state', 'working');
      await first.stop();

      await expect(page.locator('body')).toHaveAttribute('data-connection', 'disconnected');
      await expect(page.locator('#connection')).toHaveText('disconnected');
      await expect(page.locator('#connection-banner')).toBeVisible();
      await expect(page.locator('#connection-banner')).toContainText('Lost the connection to the app');
      await expect(view.longStatus).toHaveAttribute('data-state', 'error');
      await expect(view.longStatus).toContainText(/^DISCONNECTED: /);
      for (const control of ['#new-window', '#request-send', '#long-start', '#request-target', '#request-data']) {
        await expect(page.locator(control), control).toBeDisabled();
      }
      // No stale picture of a dead app: no peers, no load figure.
      await expect(page.locator('#peers li')).toHaveCount(0);
      await expect(page.locator('#load-now')).toHaveText('load: no connection to the app');
      // A call made now fails at once with DISCONNECTED; with no timeout set, waiting for the app would hang this test.
      const failure = await page.evaluate(() => window.ipcio!.request('whoami', undefined, { timeoutMs: 0 }).then(() => 'answered', (error: Error) => error.message));
      expect(failure).toMatch(/^DISCONNECTED: no connection to the app/);
      const emitFailure = await page.evaluate(() => {
        try {
          return (window.ipcio as unknown as { emit(command: string): void }).emit('whoami') ?? 'sent';
        } catch (error) {
          return (error as Error).message;
        }
      });
      expect(emitFailure).toMatch(/^DISCONNECTED: /);

      // The same app again: same domain, same port; it keeps its token in its private directory.
      const second = await startBrowserModeApp({ marker: first.marker, port: first.port });
      started.push(second);
      await expect(page.locator('body')).toHaveAttribute('data-connection', 'connected', { timeout: 20_000 });
      await view.ready();
      await expect(page.locator('#connection')).toHaveText('connected');
      await expect(page.locator('#connection-banner')).toBeHidden();
      await expect(page.locator('#request-send')).toBeEnabled();
      // New helper processes, listed afresh, and they answer.
      await expect(view.peer('hasher')).toContainText('node helper');
      await expect(view.peer('sysload')).toContainText('python helper');
      expect(await view.helperPid('hasher')).not.toBe(pidsBefore[0]);
      expect(await view.helperPid('sysload')).not.toBe(pidsBefore[1]);
      const answer = await view.request('hasher', 'hashText', { text: 'back again' });
      expect(answer.state).toBe('ok');
    } finally {
      try {
        // Newest first: both carry the same marker, and stop() proves no process with it is left.
        for (const app of [...started].reverse()) await app.stop();
      } finally {
        started[0]?.forget();
      }
    }
  });
});
