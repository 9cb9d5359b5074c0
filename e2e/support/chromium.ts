/**
 * Debian's Chromium from apt (.ci/run installs it): Playwright's own browser
 * download is not reachable from these machines. The flags keep it from
 * phoning home or needing a GPU or a sandbox-capable kernel in CI.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
