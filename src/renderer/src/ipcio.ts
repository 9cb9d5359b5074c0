import type { BridgeRequestOptions, RendererApi } from 'ipcio/renderer';
import type { AppContract, WindowName } from '../../shared/app-contract.js';

/** `window.ipcio` as the app's contract types it: from the preload in Electron, from browser-mode.ts in a browser. */
export type AppApi = RendererApi<AppContract, WindowName>;

declare global {
  interface Window {
    readonly ipcio?: AppApi;
  }
}

/** The page's connection to the app, as connection-view.ts shows it. */
export type PageConnectionState = 'connecting' | 'connected' | 'disconnected' | 'refused';

export interface ConnectionEvents {
  /** Browser mode only: a window in Electron lives exactly as long as main, so it never sees its connection go. */
  onStateChange(state: PageConnectionState, message?: string): void;
}

/**
 * The page's one way in. Electron's preload has defined `window.ipcio`
 * before any page script runs; without it this is browser mode, which
 * defines the same object over a WebSocket (loaded only then, so the
 * Electron build never runs that code).
 */
export async function getIpcio(events: ConnectionEvents): Promise<{ api: AppApi; mode: 'electron' | 'browser' }> {
  if (window.ipcio) return { api: window.ipcio, mode: 'electron' };
  const { installBrowserModeIpcio } = await import('./browser-mode.js');
  installBrowserModeIpcio(events);
  if (!window.ipcio) throw new Error('window.ipcio is missing');
  return { api: window.ipcio, mode: 'browser' };
}

/** The form picks helper and command at run time, so it calls past the contract's names. */
export type UntypedRequestFrom = (target: string, command: string, data?: unknown, options?: BridgeRequestOptions) => Promise<unknown>;
