// examples/electron-app/src/renderer/ipcio.d.ts
import type { RendererApi } from 'ipcio/renderer';
import type { App } from '../shared/contract.js';

declare global {
  interface Window {
    ipcio: RendererApi<App, 'main-window'>;
  }
}
