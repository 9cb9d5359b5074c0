import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, test } from '../support/browser-mode-test.js';

/** Opens a WebSocket from inside `page` (so the browser sets Origin itself) and resolves with how the server closed it. */
function closeCodeFrom(page: Page, wsUrl: string, firstMessage: string | null): Promise<{ code: number; reason: string }> {
  return page.evaluate(
    ([url, first]) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(url as string);
        ws.addEventListener('open', () => {
          if (first !== null) ws.send(first);
        });
        ws.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }));
      }),
    [wsUrl, firstMessage] as const,
  );
}

test.describe('browser mode refuses what is not its own page', () => {
  test('a connection without the token, or with a wrong one, is closed with 4401', async ({ app, page }) => {
    // From the app's own origin, so only the token is wrong.
    await page.goto(`${app.origin}/missing-page`);
    expect(await closeCodeFrom(page, app.wsUrl, JSON.stringify({ name: 'window-90' }))).toEqual({ code: 4401, reason: 'AUTH_FAILED' });
    expect(await closeCodeFrom(page, app.wsUrl, JSON.stringify({ token: 'not-the-token' }))).toEqual({ code: 4401, reason: 'AUTH_FAILED' });
    expect(await closeCodeFrom(page, `${app.wsUrl}?token=not-the-token`, null)).toEqual({ code: 4401, reason: 'AUTH_FAILED' });
    expect(app.output.some((line) => line.includes('refused a WebSocket: AUTH_FAILED'))).toBe(true);
  });

  test('a connection from another origin is closed with 4403, even with the right token', async ({ app, page }) => {
    const other = await serveBlankPage();
    try {
      const address = other.address() as { port: number };
      await page.goto(`http://127.0.0.1:${address.port}/`);
      expect(await closeCodeFrom(page, app.wsUrl, JSON.stringify({ token: app.token }))).toEqual({ code: 4403, reason: 'ORIGIN_REFUSED' });
      expect(await closeCodeFrom(page, `${app.wsUrl}?token=${encodeURIComponent(app.token)}`, null)).toEqual({ code: 4403, reason: 'ORIGIN_REFUSED' });
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  test('the page itself, opened with a wrong token, says it was refused and joins nobody', async ({ app, page }) => {
    const url = new URL(app.url);
    url.searchParams.set('token', 'not-the-token');
    url.searchParams.set('name', 'window-77');
    await page.goto(url.href);
    await expect(page.locator('#fatal')).toBeVisible();
    await expect(page.locator('#fatal')).toContainText('4401 AUTH_FAILED');
    await expect(page.locator('#peers li')).toHaveCount(0);
    expect(app.output.some((line) => line.includes('refused a WebSocket: AUTH_FAILED'))).toBe(true);
    await expectFinishedRefusal(page, /^AUTH_FAILED: the server refused the connection \(4401 AUTH_FAILED\): token missing or wrong/);
  });

  test('the page opened without its token is refused the same way', async ({ app, page }) => {
    const url = new URL(app.url);
    url.searchParams.delete('token');
    await page.goto(url.href);
    await expect(page.locator('body')).toHaveAttribute('data-connection', 'refused');
    await expect(page.locator('#fatal')).toContainText('AUTH_FAILED: this URL has no token');
    await expect(page.locator('#connection')).toHaveText('refused');
    await expect(page.locator('#mode')).toHaveText('browser mode (development)');
    await expect(page.locator('#request-send')).toBeDisabled();
  });

  test('ipcio/browser from a foreign origin fails fast with ORIGIN_REFUSED, not a timeout', async ({ app, page }) => {
    const other = await serveBlankPage();
    try {
      await page.goto(`http://127.0.0.1:${(other.address() as { port: number }).port}/`);
      // The library as a page imports it (dist/browser, uuid mapped for the browser); no timeout, so only a refusal ends the call.
      const outcome = await page.evaluate(
        async ([url, token]) => {
          const { connectIpcio } = (await import('/dist/browser/connect.js' as string)) as typeof import('../../lib/browser/connect.js');
          const states: string[] = [];
          const api = connectIpcio({ url: url as string, token: token as string, onStateChange: (state) => states.push(state) });
          const message = await api.request('whoami', undefined, { timeoutMs: 0 }).then(
            () => 'answered',
            (error: Error) => error.message,
          );
          return { message, states };
        },
        [app.wsUrl, app.token] as const,
      );
      expect(outcome.message).toMatch(/^ORIGIN_REFUSED: the server refused the connection \(4403 ORIGIN_REFUSED\)/);
      expect(outcome.states).toEqual(['refused']);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });
});

/** The refused state, finished: a clear badge, the mode pill filled, the error padded off the edge, nothing clickable. */
async function expectFinishedRefusal(page: Page, code: RegExp): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-connection', 'refused');
  await expect(page.locator('#connection')).toHaveText('refused');
  await expect(page.locator('#mode')).toHaveText('browser mode (development)');
  const padding = await page.locator('#fatal').evaluate((box) => Number.parseFloat(getComputedStyle(box).paddingLeft));
  expect(padding).toBeGreaterThan(4);
  for (const control of ['#new-window', '#request-send', '#long-start']) await expect(page.locator(control), control).toBeDisabled();
  const failure = await page.evaluate(() => window.ipcio!.request('whoami', undefined, { timeoutMs: 0 }).then(() => 'answered', (error: Error) => error.message));
  expect(failure).toMatch(code);
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The import map lets the built library's bare `uuid` import resolve in a page. */
const BLANK_PAGE = '<!doctype html><title>another site</title><script type="importmap">{"imports":{"uuid":"/node_modules/uuid/dist/index.js"}}</script>';

/** Another site on another port: a blank page, and the built library (dist/, uuid) as plain modules. */
function serveBlankPage(): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (/^\/(dist|node_modules\/uuid\/dist)\/[\w/.-]+\.js$/.test(path) && !path.includes('..')) {
      readFile(join(ROOT, path)).then(
        (body) => response.writeHead(200, { 'Content-Type': 'text/javascript' }).end(body),
        () => response.writeHead(404).end(),
      );
      return;
    }
    response.writeHead(200, { 'Content-Type': 'text/html' }).end(BLANK_PAGE);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
