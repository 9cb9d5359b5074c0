import { test as base } from '@playwright/test';
import { existsSync } from 'node:fs';
import { startBrowserModeApp, type BrowserModeApp } from './app-process.js';
import { CHROMIUM_PATH } from './chromium.js';
import { ConsolePage } from './console-page.js';

/**
 * Browser-mode tests: one app per worker, started in browser mode and
 * stopped at the end (the fixture fails if a helper outlives it), and a
 * `console` page opened at the URL the app printed.
 */
export const test = base.extend<{ console: ConsolePage }, { app: BrowserModeApp; chromiumPresent: void }>({
  // CI installs Debian's Chromium (.ci/run); without it this project must fail, not skip.
  chromiumPresent: [
    async ({}, use) => {
      if (!existsSync(CHROMIUM_PATH)) {
        throw new Error(`Debian's Chromium is missing at ${CHROMIUM_PATH}: run "apt-get install -y chromium" (.ci/run does)`);
      }
      await use();
    },
    { scope: 'worker', auto: true },
  ],
  app: [
    async ({}, use) => {
      const app = await startBrowserModeApp();
      await use(app);
      await app.stop().finally(() => app.forget());
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  console: async ({ app, page }, use) => {
    await page.goto(app.url);
    const view = new ConsolePage(page);
    await view.ready();
    await use(view);
  },
});

export { expect } from '@playwright/test';
