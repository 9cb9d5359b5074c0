// Where the Electron binary would be, found the way node_modules/electron/index.js
// finds it, but without its side effect: requiring 'electron' from Node starts a
// download when the binary is missing, which must not happen as a side effect of a check.
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
  if (!relative) {
    // Whether the host is reachable is not known here; say what is missing and how to fetch it.
    return {
      reason:
        "its binary was never downloaded (node_modules/electron/path.txt is missing: its first-use download did not run or failed). " +
        'Run `node node_modules/electron/install.js` where the download host (or the ELECTRON_MIRROR you set) is reachable, or point ELECTRON_OVERRIDE_DIST_PATH at an unpacked Electron',
    };
  }
  const path = join(packageDir, 'dist', relative);
  return existsSync(path) ? { path } : { reason: `Electron's binary is missing from ${path}` };
}
