import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/support/chromium.js';

/**
 * Two projects over the same app:
 * - browser-mode: the app started in browser mode, driven in Debian's
 *   Chromium (Playwright's own browser download is not reachable here).
 *   `npm run e2e`; part of `npm test`.
 * - electron: the real app through the preload and contextBridge, with
 *   Playwright's _electron. Runs wherever an Electron binary exists and
 *   skips, saying why, where it does not. `npm run e2e:electron`.
 * Both start the app themselves on a free port and stop it, helpers included.
 */
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // One app per worker; the scenarios kill its helpers, so they run one at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'browser-mode',
      testMatch: 'browser-mode/**/*.spec.ts',
      use: {
        browserName: 'chromium',
        launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
      },
    },
    {
      name: 'electron',
      testMatch: 'electron/**/*.spec.ts',
    },
  ],
});
