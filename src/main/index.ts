/**
 * The sidecar console's Electron main process: the shared server and
 * helpers (sidecar-server.ts), and windows that join it as named peers
 * through the preload. `npm start` runs this where an Electron binary exists.
 */
import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { attachWindow } from 'ipcio/main';
import type { IpcServer } from 'ipcio';
import type { AppContract, WindowName } from '../shared/app-contract.js';
import { describeStartupFailure, startSidecarServer, type SidecarServer } from './sidecar-server.js';
import { WINDOW_ALLOW } from './window-allow.js';

const here = import.meta.dirname;
let windowCount = 0;
let sidecar: SidecarServer | undefined;
let closed = false;

function openWindow(server: IpcServer<AppContract>): WindowName {
  windowCount += 1;
  const name: WindowName = `window-${windowCount}`;
  const window = new BrowserWindow({
    width: 1180,
    height: 860,
    title: `sidecar console: ${name}`,
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
    },
  });
  // Attached before the page loads: the preload asks for its port as soon as it runs.
  attachWindow(server, window, { name, allow: WINDOW_ALLOW, origins: ['file://'] });
  // The page is ours alone: no pop-ups, no navigating away to content that would inherit the bridge.
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  void window.loadFile(join(here, '../renderer/index.html'));
  return name;
}

app
  .whenReady()
  .then(async () => {
    const started = await startSidecarServer({ mode: 'electron', openWindow: () => ({ name: openWindow(started.server) }) });
    sidecar = started;
    openWindow(started.server);
  })
  .catch((error: unknown) => {
    console.error(describeStartupFailure(error));
    app.exit(1);
  });

app.on('window-all-closed', () => app.quit());

// Helpers must not outlive the app: hold the quit until the supervisor has stopped them.
app.on('will-quit', (event) => {
  if (closed || !sidecar) return;
  event.preventDefault();
  void sidecar.close().finally(() => {
    closed = true;
    app.quit();
  });
});
