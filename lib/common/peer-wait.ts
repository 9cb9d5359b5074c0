import { ErrorCode, IpcError } from './errors.js';
import { INTERNAL_COMMAND_PREFIX } from './messages.js';

/**
 * Request from a client: answered (with `null`) once a peer named
 * `data.name` is connected, at once if it already is, or with TIMEOUT after
 * `data.timeoutMs`. A cancel or a disconnect of the asker ends the wait.
 */
export const WAIT_COMMAND = `${INTERNAL_COMMAND_PREFIX}wait`;

/** How long a wait may last when the caller gives no timeout, and at most (ms). */
export const DEFAULT_PEER_WAIT_MS = 30_000;
export const MAX_PEER_WAIT_MS = 600_000;

export interface PeerWaitOptions {
  /** Give up after this long with TIMEOUT (default 30000, at most 600000). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The part of a server waitForPeer watches. */
export interface PeerSource {
  clients(): string[];
  on(event: 'client-connected', listener: (peer: { name: string }) => void): unknown;
  off(event: 'client-connected', listener: (peer: { name: string }) => void): unknown;
}

/**
 * Resolves when a peer called `name` is connected to `server`: at once if it
 * is, else on its 'client-connected' event. No polling; one listener, removed
 * on every outcome.
 */
export function waitForPeer(server: PeerSource, name: string, options: PeerWaitOptions = {}): Promise<void> {
  if (typeof name !== 'string' || name.length === 0) {
    return Promise.reject(new IpcError(ErrorCode.INVALID_ARGUMENT, 'waitForPeer needs a peer name'));
  }
  let timeoutMs: number;
  try {
    timeoutMs = checkedWaitMs(options.timeoutMs);
  } catch (error) {
    return Promise.reject(error as IpcError);
  }
  if (server.clients().includes(name)) return Promise.resolve();
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new IpcError(ErrorCode.CANCELLED, `waiting for "${name}" was cancelled`));
  return new Promise<void>((resolve, reject) => {
    const finish = (error?: IpcError): void => {
      clearTimeout(timer);
      server.off('client-connected', onConnected);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onConnected = (peer: { name: string }): void => {
      if (peer.name === name) finish();
    };
    const onAbort = (): void => finish(new IpcError(ErrorCode.CANCELLED, `waiting for "${name}" was cancelled`));
    const timer = setTimeout(() => finish(new IpcError(ErrorCode.TIMEOUT, `no peer "${name}" joined within ${timeoutMs} ms`)), timeoutMs);
    server.on('client-connected', onConnected);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wait's length: a number of ms from 0 to MAX_PEER_WAIT_MS, DEFAULT_PEER_WAIT_MS when absent. */
export function checkedWaitMs(timeoutMs: unknown): number {
  if (timeoutMs === undefined) return DEFAULT_PEER_WAIT_MS;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_PEER_WAIT_MS) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, `a peer wait's timeoutMs must be a number from 0 to ${MAX_PEER_WAIT_MS}`);
  }
  return timeoutMs;
}

/** The server's answer to WAIT_COMMAND, run as a built-in handler so cancel and disconnect reach it. */
export function answerPeerWait(server: PeerSource, container: { data: unknown; signal: AbortSignal }): Promise<null> {
  const data = container.data as { name?: unknown; timeoutMs?: unknown } | null;
  if (typeof data !== 'object' || data === null || typeof data.name !== 'string') {
    return Promise.reject(new IpcError(ErrorCode.INVALID_ARGUMENT, `${WAIT_COMMAND} needs { name, timeoutMs? }`));
  }
  return waitForPeer(server, data.name, { timeoutMs: data.timeoutMs as number | undefined, signal: container.signal }).then(() => null);
}

/** How much longer the client's own request lives than the server's wait, so the server's TIMEOUT arrives first (ms). */
const CLIENT_MARGIN_MS = 5_000;

/** The one call a client needs to ask the server to wait for it. */
export type RawRequest = (command: string, data: unknown, options: { timeoutMs: number; signal?: AbortSignal }) => Promise<unknown>;

/**
 * A client's wait: one `ipcio:wait` request the server answers when `name`
 * joins. The server's failure arrives as HANDLER_ERROR with the cause as
 * `remoteCode`; it is given back here under that code (TIMEOUT, INVALID_ARGUMENT).
 */
export async function waitForPeerVia(request: RawRequest, name: string, options: PeerWaitOptions = {}): Promise<void> {
  const timeoutMs = checkedWaitMs(options.timeoutMs);
  try {
    await request(WAIT_COMMAND, { name, timeoutMs }, { timeoutMs: timeoutMs + CLIENT_MARGIN_MS, signal: options.signal });
  } catch (error) {
    if (!(error instanceof IpcError) || error.code !== ErrorCode.HANDLER_ERROR) throw error;
    const remote = error.remoteCode;
    if (remote === ErrorCode.TIMEOUT || remote === ErrorCode.INVALID_ARGUMENT || remote === ErrorCode.CANCELLED) throw new IpcError(remote, error.message);
    throw error;
  }
}
