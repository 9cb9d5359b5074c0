import { createServer, type Server } from 'node:http';
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
  });
});

function serveBlankPage(): Promise<Server> {
  const server = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>another site</title>'));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
