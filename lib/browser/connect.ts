/**
 * Browser mode's page side (runtime: browser): the same `window.ipcio` object
 * the preload exposes in Electron, built by the same createRendererApi, over
 * a WebSocket port instead of a MessagePort.
 */
import { ClientEndpoint, type ClientEndpointOptions } from '../common/client-endpoint.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import { createRendererApi, type RendererApi } from '../common/renderer-api.js';
import { PERMANENT_REFUSALS } from '../common/websocket-protocol.js';
import { openWebSocketPort } from './websocket-port.js';

export interface ConnectOptions<C extends Contract, N extends string> extends Omit<ClientEndpointOptions<C, N>, 'token'> {
  /** `ws://127.0.0.1:<port>/ipcio`, as browser mode prints it. */
  url: string;
  /** The token from the printed URL; sent in the first message, never in the WebSocket URL. */
  token: string;
  /** Told once when the server refuses this page for good (token, origin or name); reconnecting stops. */
  onRefused?: (error: IpcError) => void;
}

/**
 * Connects and returns the page API at once; calls made before the
 * connection is up wait in the endpoint's offline queue, as in Electron.
 */
export function connectIpcio<C extends Contract = AnyContract, N extends string = string>(options: ConnectOptions<C, N>): RendererApi<C, N> {
  const { url, token, onRefused, ...endpointOptions } = options;
  // Not in the welcome path: a WebSocket refused with a close code says nothing ipcio-shaped, so the endpoint would retry forever.
  const refused = (code: number, error: IpcError): void => {
    if (!PERMANENT_REFUSALS.has(code)) return;
    void endpoint.close();
    onRefused?.(error);
  };
  const maxFrameSize = endpointOptions.maxFrameSize;
  const logger = endpointOptions.logger ?? console;
  const onUndecodable = (error: IpcError): void => logger.warn(`[ipcio] skipped a message from the server that could not be decoded: ${error.code}: ${error.message}`);
  const endpoint = new ClientEndpoint<C, N>(
    () => openWebSocketPort({ url, token, name: endpointOptions.name, maxFrameSize, onClose: refused, onUndecodable }),
    endpointOptions,
  );
  endpoint.connect();
  return createRendererApi(endpoint);
}

export { IpcError, ErrorCode };
