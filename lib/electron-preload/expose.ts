import { contextBridge, ipcRenderer } from 'electron';
import type { ClientEndpoint, ClientEndpointOptions } from '../common/client-endpoint.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { createRendererApi } from '../common/renderer-api.js';
import { createPreloadEndpoint } from './preload-endpoint.js';

export interface ExposeOptions<C extends Contract, N extends string> extends ClientEndpointOptions<C, N> {
  /** The property of `window` the page finds the API on (default "ipcio"). */
  key?: string;
}

/**
 * Connects this window to main's ipcio server and gives the page one frozen
 * object of functions through contextBridge. The port, ipcRenderer and the
 * endpoint stay in the preload; the endpoint is returned for the preload's own use.
 */
export function exposeIpcio<C extends Contract = AnyContract, N extends string = string>(
  options: ExposeOptions<C, N> = {},
): ClientEndpoint<C, N> {
  const { key = 'ipcio', ...endpointOptions } = options;
  const endpoint = createPreloadEndpoint<C, N>(ipcRenderer, endpointOptions);
  contextBridge.exposeInMainWorld(key, createRendererApi(endpoint));
  endpoint.connect();
  return endpoint;
}
