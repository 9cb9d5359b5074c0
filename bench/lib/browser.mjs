// Browser mode: a real Chromium page's `request` round trip over the
// WebSocket, next to a socket client's round trip to the same server, in the
// same run. Only ipcio has a browser mode, so the other implementations skip it.
import { fileURLToPath } from 'node:url';
import { nextMessage, startChild, stopChild, waitExit } from './children.mjs';
import { percentile } from './stats.mjs';

/** Debian's Chromium and the flags of e2e/support/chromium.ts (kept in step by hand: that file is TypeScript). */
const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** params: { warmup, requests }; dir: where the socket goes. Returns medians in µs. */
export async function measureBrowser({ params, socketPath, execArgv }) {
  const { chromium } = await import('playwright-core');
  const server = startChild(here('../browser-server.mjs'), [socketPath], execArgv('server'));
  let browser;
  try {
    const { origin, url, token } = await nextMessage(server, 'ready', 30_000);
    // The socket client first, so the page's Chromium is not yet competing for the two CPUs.
    const client = startChild(here('../client.mjs'), ['ipcio', socketPath, 'latency', JSON.stringify(params)], execArgv('client'));
    const { result: socket } = await nextMessage(client, 'result', 300_000);
    await waitExit(client);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.pageReady === true, undefined, { timeout: 30_000 });
    const measured = await page.evaluate((args) => window.measure(args), { url, token, ...params });
    if (!measured.isolated) throw new Error('the page is not cross-origin isolated, so performance.now() is too coarse');
    const pageMedianUs = percentile(measured.samples, 50);
    return {
      browserMedianUs: pageMedianUs,
      browserP99Us: percentile(measured.samples, 99),
      browserMeanUs: measured.meanUs,
      browserSocketMedianUs: socket.medianUs,
      browserPageToSocket: pageMedianUs / socket.medianUs,
    };
  } finally {
    await browser?.close();
    await stopChild(server);
  }
}
