import type { AnyContract, Contract, ItemOf, PayloadArgs, StreamKeys } from './contract.js';
import { ErrorCode, IpcError } from './errors.js';
import { parseBridgeError, type BridgeStreamOptions, type RendererApi } from './renderer-api.js';
import { failedStream, iterableFromPulls, type PullAbortSignal } from './streams/pulled-streams.js';

/** A page's stream options: the bridge's, plus an AbortSignal of the page's own realm. */
export interface PageStreamOptions extends BridgeStreamOptions {
  /** Aborting it cancels the stream: the loop throws CANCELLED and the producer's signal fires. */
  signal?: AbortSignal;
}

/**
 * Opens a stream from the server's stream handler, as a real AsyncIterable:
 * `for await (const item of stream(window.ipcio, 'tail', data))`. `break`
 * cancels it; errors are IpcErrors again, with `code` and `remoteCode`.
 */
export function stream<C extends Contract = AnyContract, N extends string = string, K extends StreamKeys<C['server']> = StreamKeys<C['server']>>(
  api: RendererApi<C, N>,
  command: K,
  ...[data, options]: PayloadArgs<C['server'][K]['payload'], PageStreamOptions>
): AsyncIterableIterator<ItemOf<C['server'], K>, undefined> {
  return pageStream(api, null, command, data, options);
}

/** Opens a stream from another client's stream handler (a helper, another window), through main's server. */
export function streamFrom<
  C extends Contract = AnyContract,
  N extends string = string,
  T extends keyof C['clients'] & string = keyof C['clients'] & string,
  K extends StreamKeys<C['clients'][T]> = StreamKeys<C['clients'][T]>,
>(
  api: RendererApi<C, N>,
  clientName: T,
  command: K,
  ...[data, options]: PayloadArgs<C['clients'][T][K]['payload'], PageStreamOptions>
): AsyncIterableIterator<ItemOf<C['clients'][T], K>, undefined> {
  return pageStream(api, clientName, command, data, options);
}

function pageStream<T>(api: RendererApi<AnyContract, string>, to: string | null, command: string, data: unknown, options: PageStreamOptions | undefined): AsyncIterableIterator<T, undefined> {
  const { signal, ...bridgeOptions } = options ?? {};
  let handle: number;
  try {
    handle = api.streamOpen(to, command, data, bridgeOptions);
  } catch (error) {
    return failedStream(fromBridgeError(error));
  }
  return iterableFromPulls<T>({ pull: () => api.streamPull(handle), cancel: () => api.streamCancel(handle) }, fromBridgeError, signal && pullSignal(signal));
}

/** An error that crossed the bridge (only its message survives contextBridge) as an IpcError again. */
function fromBridgeError(error: unknown): IpcError {
  if (error instanceof IpcError) return error;
  const parsed = parseBridgeError(error);
  if (!parsed || !Object.values(ErrorCode).includes(parsed.code as ErrorCode)) {
    return new IpcError(ErrorCode.DISCONNECTED, `the stream failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return new IpcError(parsed.code as ErrorCode, parsed.message, parsed.remoteCode === undefined ? {} : { remoteCode: parsed.remoteCode });
}

function pullSignal(signal: AbortSignal): PullAbortSignal {
  return {
    get aborted() {
      return signal.aborted;
    },
    onAbort(listener) {
      const onAbort = (): void => listener();
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
  };
}
