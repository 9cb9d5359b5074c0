// Where the Electron binary would be, found the way node_modules/electron/index.js
// finds it, but without its side effect: requiring 'electron' from Node starts a
// download when the binary is missing, and that download is not reachable here.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** `{ path }` when a runnable Electron binary is on disk, else `{ reason }` in one line. */
export function findElectronBinary() {
  let packageDir;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, relative || 'electron');
    return existsSync(path) ? { path } : { reason: `ELECTRON_OVERRIDE_DIST_PATH has no binary at ${path}` };
  }
  if (!relative) return { reason: 'its download never happened (node_modules/electron/path.txt is missing; the download host is not reachable from here)' };
  const path = join(packageDir, 'dist', relative);
  return existsSync(path) ? { path } : { reason: `Electron's binary is missing from ${path}` };
}
