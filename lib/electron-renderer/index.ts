/**
 * The page's side of ipcio (`ipcio/renderer`): the type of `window.ipcio`,
 * derived from the contract main and the helpers use, and two small
 * functions that must run in the page's own world.
 *
 *   // renderer/ipcio.d.ts
 *   import type { RendererApi } from 'ipcio/renderer';
 *   import type { App } from '../shared/contract';
 *   declare global { interface Window { ipcio: RendererApi<App, 'main-window'> } }
 */
import type { AnyContract, Contract } from '../common/contract.js';
import type { BridgedSignal, RendererApi } from '../common/renderer-api.js';

export type { BridgeEvent, BridgeRequestOptions, BridgeStreamOptions, BridgeStreamStep, BridgedSignal, RendererApi } from '../common/renderer-api.js';
/** `for await (const item of stream(window.ipcio, 'cmd', data))`: the page's streams as real AsyncIterables. */
export { stream, streamFrom, type PageStreamOptions } from '../common/page-streams.js';
export { IpcError, ErrorCode } from '../common/errors.js';
/** Reads `{ code, remoteCode?, message }` back from an error `window.ipcio` rejected with. */
export { parseBridgeError } from '../common/renderer-api.js';
export type { Command, Contract, Discovery, Stream } from '../common/contract.js';

/** `window.ipcio` (or another key) typed by the app's contract and this window's name. */
export type IpcioWindow<C extends Contract = AnyContract, N extends string = string, Key extends string = 'ipcio'> = {
  readonly [K in Key]: RendererApi<C, N>;
};

/**
 * An AbortSignal arrives in the preload as an empty object (contextBridge
 * copies data, not platform objects), so pass `bridgeSignal(signal)`
 * instead: functions do cross, and the preload listens through them.
 */
export function bridgeSignal(signal: AbortSignal): BridgedSignal {
  return {
    aborted: signal.aborted,
    onAbort(listener) {
      const onAbort = (): void => listener();
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
  };
}
