import { expect, type Page } from '@playwright/test';
import { ConsolePage } from './console-page.js';
import { sha256Generated, sha256Text } from './expected.js';

/**
 * The scenarios both projects run, through whatever gave the page its
 * `window.ipcio` (browser mode's WebSocket, or Electron's preload).
 */

export async function listsBothHelpersAndItself(view: ConsolePage): Promise<void> {
  await expect(view.peer('hasher')).toContainText('node helper');
  await expect(view.peer('sysload')).toContainText('python helper');
  const self = await view.selfName();
  expect(self).toMatch(/^window-\d+$/);
  await expect(view.page.locator('#peers li.self')).toHaveAttribute('data-peer', self);
  // sysload's broadcast reaches the page every second, shown as the latest value rather than a line each.
  await expect(view.page.locator('#load-now')).toHaveAttribute('data-pid', /^\d+$/);
  await expect(view.page.locator('#load-now')).toContainText(/^load [\d.]+ [\d.]+ [\d.]+ · \d+ CPUs · from sysload/);
  await expect(view.page.locator('#load-now')).toHaveAttribute('data-samples', /^([2-9]|\d{2,})$/);
  await expect(view.page.locator('#broadcasts li[data-command="load"]')).toHaveCount(0);
  // Both helpers joined before the page did: the log says they are here.
  await expect(view.peerEvent('present', 'hasher')).toHaveCount(1);
  await expect(view.peerEvent('present', 'sysload')).toHaveCount(1);
}

export async function requestsReachEachHelper(view: ConsolePage): Promise<void> {
  const text = await view.request('hasher', 'hashText', { text: 'hello, sidecar' });
  expect(text.state).toBe('ok');
  expect(JSON.parse(text.text)).toMatchObject({ algorithm: 'sha256', hex: sha256Text('hello, sidecar'), bytes: 14 });

  const info = await view.request('sysload', 'info');
  expect(info.state).toBe('ok');
  expect(JSON.parse(info.text)).toMatchObject({ python: expect.stringMatching(/^3\./), pid: await view.helperPid('sysload') });

  const sample = await view.request('sysload', 'sample');
  expect(sample.state).toBe('ok');
  expect(JSON.parse(sample.text).loadavg).toHaveLength(3);
}

export async function helperErrorShowsItsCode(view: ConsolePage): Promise<void> {
  const missing = await view.request('hasher', 'hashFile', { path: '/no/such/file/for/the/e2e' });
  expect(missing.state).toBe('error');
  expect(missing.code).toBe('HANDLER_ERROR · E_NOT_FOUND');
  expect(missing.text).toContain('no such file: /no/such/file/for/the/e2e');
}

export async function longRequestShowsProgressAndCancels(view: ConsolePage): Promise<void> {
  // A short one runs to the end, with the digest anyone can recompute.
  await view.startLong(8);
  await expect(view.longStatus).toHaveAttribute('data-state', 'done');
  await expect(view.longStatus).toContainText(sha256Generated(8));
  expect(await view.longProgress()).toBe(1);

  // A long one is cancelled halfway: the page stops waiting, and the hasher's handler stops too.
  await view.startLong(1000);
  await expect(view.longStatus).toHaveAttribute('data-state', 'working');
  await expect.poll(() => view.longProgress()).toBeGreaterThan(0.02);
  await view.page.locator('#long-cancel').click();
  await expect(view.longStatus).toHaveAttribute('data-state', 'cancelled');
  await expect(view.longStatus).toContainText('CANCELLED');
  await expect(view.longStatus).toHaveAttribute('data-helper-stopped', 'true');
  await expect(view.longStatus).toContainText(/the hasher stopped after \d+ of 1000 MiB \(\d+%\)/);
  // One figure: the percentage is the hasher's own count over the total, and the bar shows the same.
  const [, done, percent] = /after (\d+) of 1000 MiB \((\d+)%\)/.exec((await view.longStatus.textContent()) ?? '') ?? [];
  expect(Number(percent)).toBe(Math.floor((Number(done) / 1000) * 100));
  expect(await view.longProgress()).toBeCloseTo(Number(done) / 1000, 5);
  const stoppedAt = await view.longProgress();
  expect(stoppedAt).toBeLessThan(0.5);
  await expect(view.page.locator('#long-start')).toBeEnabled();
  await expect(view.page.locator('#long-cancel')).toBeDisabled();
}

export async function killedHelperLeavesAndReturns(view: ConsolePage, name: string): Promise<void> {
  const before = await view.helperPid(name);
  const leftBefore = await view.peerEvent('left', name).count();
  const joinedBefore = await view.peerEvent('joined', name).count();
  await view.killHelper(name);
  await expect(view.peerEvent('kill', name).first()).toContainText(`asked main to kill ${name} (pid ${before})`);
  await expect(view.peerEvent('left', name)).toHaveCount(leftBefore + 1);
  await expect(view.peerEvent('joined', name)).toHaveCount(joinedBefore + 1, { timeout: 15_000 });
  await expect(view.peer(name)).toBeVisible();
  await expect.poll(() => view.helperPid(name)).not.toBe(before);
  await expect(view.peer(name)).toContainText(/[1-9]\d* restarts?/);
  // And it works again.
  const again = name === 'hasher' ? await view.request('hasher', 'hashText', { text: 'back' }) : await view.request('sysload', 'info');
  expect(again.state).toBe('ok');
}

/** `open` makes the second window appear (the page's button does in both modes) and returns its page. */
export async function secondWindowIsASecondPeer(view: ConsolePage, open: () => Promise<Page>): Promise<void> {
  const firstName = await view.selfName();
  const second = new ConsolePage(await open());
  await second.ready();
  const secondName = await second.selfName();
  expect(secondName).toMatch(/^window-\d+$/);
  expect(secondName).not.toBe(firstName);
  // Each sees the other, live.
  await expect(view.peer(secondName)).toContainText('window');
  await expect(second.peer(firstName)).toContainText('window');
  await expect(view.peerEvent('joined', secondName)).toHaveCount(1);
  const answer = await second.request('hasher', 'hashText', { text: 'from the second window' });
  expect(JSON.parse(answer.text).hex).toBe(sha256Text('from the second window'));
  // Window to window: the first asks the second, which answers with its own name.
  const greeting = await view.request(secondName, 'greet', { text: 'hi there' });
  expect(greeting.state).toBe('ok');
  expect(JSON.parse(greeting.text)).toEqual({ answeredBy: secondName, text: `${firstName} said: hi there` });
  await second.page.close();
  await expect(view.peerEvent('left', secondName)).toHaveCount(1);
  await expect(view.peer(secondName)).toHaveCount(0);
}

/**
 * sysload's `samples` stream: items arrive in order; Pause stops reading, so
 * the helper stops within the stream's window of what the page has shown
 * (asked of the helper itself, by request, several times over more than a
 * second of its 100 ms interval); Resume reads on; Cancel closes the helper's
 * generator.
 */
export async function liveFeedPausesAndCancels(view: ConsolePage, feedWindow: number): Promise<void> {
  const status = view.page.locator('#feed-status');
  const shown = async (): Promise<number> => Number(await status.getAttribute('data-shown'));
  const helperState = async (): Promise<{ yielded: number; running: boolean }> => {
    const answer = await view.request('sysload', 'samplesState');
    expect(answer.state).toBe('ok');
    return JSON.parse(answer.text) as { yielded: number; running: boolean };
  };
  await view.page.locator('#feed-start').click();
  await expect.poll(shown).toBeGreaterThanOrEqual(5);
  // In order: the sample shown last is the one numbered with the count shown.
  await expect.poll(async () => `${await view.page.locator('#feed-last').textContent()}|${await shown()}`).toMatch(/^#(\d+):.*\|\1$/);

  await view.page.locator('#feed-pause').click();
  await expect(status).toHaveAttribute('data-state', 'paused');
  const pausedAt = await shown();
  // The helper used the credit it had, then stopped: never more than the window ahead of the page.
  const rounds: number[] = [];
  for (let round = 0; round < 12; round += 1) {
    const { yielded, running } = await helperState();
    expect(running).toBe(true);
    expect(yielded).toBeLessThanOrEqual(pausedAt + feedWindow);
    expect(await shown()).toBe(pausedAt);
    rounds.push(yielded);
  }
  expect(rounds.at(-1)).toBeGreaterThanOrEqual(pausedAt);

  await view.page.locator('#feed-pause').click();
  await expect.poll(shown).toBeGreaterThan(pausedAt + feedWindow);
  await view.page.locator('#feed-cancel').click();
  await expect(status).toHaveAttribute('data-state', 'cancelled');
  await expect.poll(async () => (await helperState()).running).toBe(false);
  await expect(view.page.locator('#feed-start')).toBeEnabled();
}
