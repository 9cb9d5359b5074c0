import type { BridgeRequestOptions, RendererApi } from 'ipcio/renderer';
import type { AppContract, WindowName } from '../../shared/app-contract.js';

/** `window.ipcio` as the app's contract types it: from the preload in Electron, from browser-mode.ts in a browser. */
export type AppApi = RendererApi<AppContract, WindowName>;

declare global {
  interface Window {
    readonly ipcio?: AppApi;
  }
}

/**
 * The page's one way in. Electron's preload has defined `window.ipcio`
 * before any page script runs; without it this is browser mode, which
 * defines the same object over a WebSocket (loaded only then, so the
 * Electron build never runs that code).
 */
export async function getIpcio(onRefused: (message: string) => void): Promise<AppApi> {
  if (window.ipcio) return window.ipcio;
  const { installBrowserModeIpcio } = await import('./browser-mode.js');
  installBrowserModeIpcio(onRefused);
  if (!window.ipcio) throw new Error('window.ipcio is missing');
  return window.ipcio;
}

/** The form picks helper and command at run time, so it calls past the contract's names. */
export type UntypedRequestFrom = (target: string, command: string, data?: unknown, options?: BridgeRequestOptions) => Promise<unknown>;
