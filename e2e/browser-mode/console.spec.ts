import { copyFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '../support/browser-mode-test.js';
import {
  helperErrorShowsItsCode,
  killedHelperLeavesAndReturns,
  listsBothHelpersAndItself,
  liveFeedPausesAndCancels,
  longRequestShowsProgressAndCancels,
  requestsReachEachHelper,
  secondWindowIsASecondPeer,
} from '../support/scenarios.js';

/** The live feed's stream window, as src/renderer/src/live-feed.ts sets it (FEED_WINDOW). */
const FEED_WINDOW = 4;
const README_SCREENSHOT = fileURLToPath(new URL('../../docs/screenshot.png', import.meta.url));

test.describe('sidecar console in browser mode', () => {
  test('the page lists both helpers, itself, and live broadcasts', async ({ console: view }) => {
    await expect(view.page.locator('#mode')).toHaveText('browser mode (development)');
    await expect(view.page.locator('#connection')).toHaveText('connected');
    await listsBothHelpersAndItself(view);
  });

  test('the page says what it shows, and asks the server for nothing it lacks (no favicon 404)', async ({ console: view }) => {
    await expect(view.page.locator('#intro')).toContainText(/ipcio\s+connects this app's main process, its helper processes[\s\S]*and every window by name/);
    for (const panel of ['peers-panel', 'request-panel', 'long-panel', 'broadcast-panel']) {
      await expect(view.page.locator(`#${panel} > p.muted`), panel).toHaveText(/\w.{30,}/);
    }
    const failed: string[] = [];
    view.page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    await view.page.reload();
    await view.ready();
    await expect(view.page.locator('link[rel="icon"]')).toHaveAttribute('href', /^data:image\/svg\+xml,/);
    expect(failed).toEqual([]);
  });

  test('a request to each helper returns the right result', async ({ console: view }) => {
    await requestsReachEachHelper(view);
  });

  test("a helper's thrown error shows its code", async ({ console: view }) => {
    await helperErrorShowsItsCode(view);
  });

  test('a long request shows progress and can be cancelled', async ({ console: view }) => {
    await longRequestShowsProgressAndCancels(view);
  });

  test("a live feed (sysload's stream) pauses within its window and cancels", async ({ console: view }) => {
    await liveFeedPausesAndCancels(view, FEED_WINDOW);
  });

  test('killing a helper shows it leave and come back: Node and Python', async ({ console: view }) => {
    await killedHelperLeavesAndReturns(view, 'hasher');
    await killedHelperLeavesAndReturns(view, 'sysload');
  });

  test('a second page is a second named peer', async ({ console: view, context }) => {
    await secondWindowIsASecondPeer(view, async () => {
      const opened = context.waitForEvent('page');
      await view.page.locator('#new-window').click();
      return opened;
    });
  });

  test('a reload keeps the page its name', async ({ console: view }) => {
    const name = await view.selfName();
    await expect(view.page).toHaveURL(new RegExp(`[?&]name=${name}(&|$)`));
    await view.page.reload();
    await view.ready();
    expect(await view.selfName()).toBe(name);
  });

  test('screenshot of the main view', async ({ console: view }, testInfo) => {
    await view.page.setViewportSize({ width: 1280, height: 820 });
    // Something in every panel: a helper that was killed and came back, broadcasts, a result, a long request under way.
    await killedHelperLeavesAndReturns(view, 'hasher');
    await expect(view.page.locator('#load-now')).toHaveAttribute('data-samples', /^([3-9]|\d{2,})$/, { timeout: 15_000 });
    await view.request('hasher', 'hashText', { text: 'hello, sidecar' });
    await view.startLong(400);
    await expect.poll(() => view.longProgress()).toBeGreaterThan(0.3);
    const path = testInfo.outputPath('main-view.png');
    await view.page.screenshot({ path });
    await testInfo.attach('main view', { path, contentType: 'image/png' });
    await view.page.locator('#long-cancel').click();
    await expect(view.longStatus).toHaveAttribute('data-state', 'cancelled');
    // The README's copy is refreshed on request only, so a test run leaves the tree clean.
    if (process.env.UPDATE_SCREENSHOT === '1' || !existsSync(README_SCREENSHOT)) copyFileSync(path, README_SCREENSHOT);
  });
});
