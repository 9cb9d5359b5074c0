import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A fresh private directory with a short socket path in it (Unix paths must stay under 104 bytes). */
export function tempSocket(): { dir: string; socketPath: string; cleanup: () => void } {
  const dir = mkdtempSync('/tmp/ipcio-t-');
  return { dir, socketPath: join(dir, 's.sock'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` is true, for state that changes asynchronously in another process. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
