import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root (where helpers/ and out/ live). Found by walking up
 * rather than by a fixed "../..": the bundler may put this code in a chunk
 * one folder deeper than the entry.
 */
export function appRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'helpers', 'app')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the app root (helpers/app) above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}
