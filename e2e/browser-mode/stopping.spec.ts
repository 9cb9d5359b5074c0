import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { processesWithMarker, startBrowserModeApp } from '../support/app-process.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starting and stopping the app as a person does, with real processes; no page needed. */
test.describe('starting and stopping the app', () => {
  test('SIGTERM to the `npm start` process itself stops the app and both helpers', async () => {
    const app = await startBrowserModeApp({ viaNpm: true });
    try {
      // The app and its two helpers, under npm and its shell.
      expect(processesWithMarker(app.marker).length).toBeGreaterThanOrEqual(4);
      process.kill(app.pid, 'SIGTERM');
      await app.exited;
      // npm's shell dies of the signal without passing it on; the app notices it was orphaned and stops, helpers first.
      await expect.poll(() => processesWithMarker(app.marker), { timeout: 15_000 }).toEqual([]);
    } finally {
      await app.stop().finally(() => app.forget());
    }
  });

  test('a second instance on the same domain says DOMAIN_IN_USE once, with how to run a second one', async () => {
    const first = await startBrowserModeApp();
    try {
      const second = spawn(process.execPath, ['scripts/start.mjs', '--browser', '--no-build'], {
        cwd: ROOT,
        env: { ...process.env, SIDECAR_CONSOLE_DOMAIN: first.marker },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      second.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      second.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => second.once('close', resolve));
      expect(code, output).toBe(1);
      expect(output.match(/DOMAIN_IN_USE/g), output).toHaveLength(1);
      expect(output).toMatch(/^sidecar console could not start: DOMAIN_IN_USE: a live ipcio server already listens on /m);
      expect(output).toContain('start this one on a domain of its own: SIDECAR_CONSOLE_DOMAIN=second npm start');
      // The first is untouched.
      expect(first.output.join('\n')).not.toContain('DOMAIN_IN_USE');
      expect(processesWithMarker(first.marker)).toContain(first.pid);
    } finally {
      await first.stop().finally(() => first.forget());
    }
  });
});
