/** The preload entry of ipcio (`ipcio/preload`): bundle it into a sandboxed, context-isolated preload. */
export { exposeIpcio, type ExposeOptions } from './expose.js';
export { createPreloadEndpoint, type IpcRendererLike } from './preload-endpoint.js';
export { createRendererApi, parseBridgeError, type RendererApi, type BridgeEvent, type BridgeRequestOptions, type BridgedSignal } from '../common/renderer-api.js';
