import { contextBridge, ipcRenderer } from 'electron';
import type { ClientEndpoint, ClientEndpointOptions } from '../common/client-endpoint.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { createRendererApi, DEFAULT_PAGE_MAX_STREAMS } from '../common/renderer-api.js';
import { PulledStreams } from '../common/streams/pulled-streams.js';
import { createPreloadEndpoint } from './preload-endpoint.js';

export interface ExposeOptions<C extends Contract, N extends string> extends ClientEndpointOptions<C, N> {
  /** The property of `window` the page finds the API on (default "ipcio"). */
  key?: string;
  /** Streams the page may hold open at once (default 64); more get TOO_MANY_STREAMS. */
  maxPageStreams?: number;
}

/**
 * Connects this window to main's ipcio server and gives the page one frozen
 * object of functions through contextBridge. The port, ipcRenderer and the
 * endpoint stay in the preload; the endpoint is returned for the preload's own use.
 */
export function exposeIpcio<C extends Contract = AnyContract, N extends string = string>(
  options: ExposeOptions<C, N> = {},
): ClientEndpoint<C, N> {
  const { key = 'ipcio', maxPageStreams = DEFAULT_PAGE_MAX_STREAMS, ...endpointOptions } = options;
  const endpoint = createPreloadEndpoint<C, N>(ipcRenderer, endpointOptions);
  const pulled = new PulledStreams(maxPageStreams);
  // A reload or navigation ends the page's streams at once: their cancels go out before the port closes.
  globalThis.addEventListener?.('pagehide', () => pulled.cancelAll());
  contextBridge.exposeInMainWorld(key, createRendererApi(endpoint, pulled));
  endpoint.connect();
  return endpoint;
}
