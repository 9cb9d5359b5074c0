import { _electron as electron, test as base, type ElectronApplication } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from '../../scripts/electron-binary.mjs';
import { ConsolePage } from '../support/console-page.js';
import {
  helperErrorShowsItsCode,
  killedHelperLeavesAndReturns,
  listsBothHelpersAndItself,
  longRequestShowsProgressAndCancels,
  requestsReachEachHelper,
  secondWindowIsASecondPeer,
} from '../support/scenarios.js';

/**
 * The same scenarios in the real app: the preload's exposeIpcio, contextBridge,
 * MessageChannelMain ports. Needs an Electron binary; where there is none
 * (these machines), every test is skipped with the reason.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const binary = findElectronBinary();
const skipReason = `no Electron binary on this machine: ${binary.reason ?? ''}. These scenarios run wherever Electron can be installed (npm run e2e:electron); here the browser-mode project runs the same scenarios`;
if (binary.path === undefined) console.log(`[e2e electron] skipped: ${skipReason}`);

const test = base.extend<{ electronApp: ElectronApplication; console: ConsolePage }>({
  electronApp: async ({}, use) => {
    const app = await electron.launch({
      executablePath: binary.path,
      args: [`${ROOT}/out/main/index.js`, ...(process.env.CI ? ['--no-sandbox'] : [])],
      cwd: ROOT,
      env: { ...process.env, SIDECAR_CONSOLE_DOMAIN: `e2e-el-${randomBytes(3).toString('hex')}` } as Record<string, string>,
    });
    await use(app);
    // Quitting runs the app's will-quit, which stops the helpers before Electron exits.
    await app.close();
  },
  console: async ({ electronApp }, use) => {
    const view = new ConsolePage(await electronApp.firstWindow());
    await view.ready();
    await use(view);
  },
});

test.describe('sidecar console in Electron', () => {
  test.skip(binary.path === undefined, skipReason);

  test('the window lists both helpers, itself, and live broadcasts', async ({ console: view }) => {
    await listsBothHelpersAndItself(view);
    await base.expect(view.page.locator('#mode')).toHaveText('electron');
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

  test('killing a helper shows it leave and come back', async ({ console: view }) => {
    await killedHelperLeavesAndReturns(view, 'hasher');
    await killedHelperLeavesAndReturns(view, 'sysload');
  });

  test('a second window is a second named peer', async ({ console: view, electronApp }) => {
    await secondWindowIsASecondPeer(view, async () => {
      const opened = electronApp.waitForEvent('window');
      await view.page.locator('#new-window').click();
      return opened;
    });
  });

  test('the page has window.ipcio and nothing of Node or Electron', async ({ console: view }) => {
    const globals = await view.page.evaluate(() => ({
      ipcio: Object.isFrozen((window as { ipcio?: object }).ipcio),
      keys: Object.keys((window as { ipcio?: object }).ipcio ?? {}).sort(),
      require: typeof (window as { require?: unknown }).require,
      process: typeof (window as { process?: unknown }).process,
    }));
    base.expect(globals).toEqual({
      ipcio: true,
      keys: ['broadcast', 'discover', 'emit', 'emitTo', 'handle', 'on', 'request', 'requestFrom', 'streamCancel', 'streamOpen', 'streamPull', 'waitForPeer'],
      require: 'undefined',
      process: 'undefined',
    });
  });
});
