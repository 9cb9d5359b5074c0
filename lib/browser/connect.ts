/**
 * Browser mode's page side (runtime: browser): the same `window.ipcio` object
 * the preload exposes in Electron, built by the same createRendererApi, over
 * a WebSocket port instead of a MessagePort.
 */
import { ClientEndpoint, type ClientEndpointOptions } from '../common/client-endpoint.js';
import type { AnyContract, Contract, RequestOptions, StreamCallOptions } from '../common/contract.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import { createRendererApi, DEFAULT_PAGE_MAX_STREAMS, type RendererApi, type RendererEndpoint } from '../common/renderer-api.js';
import { PulledStreams } from '../common/streams/pulled-streams.js';
import { PERMANENT_REFUSALS } from '../common/websocket-protocol.js';
import { ConnectionGate, type ConnectionState } from './connection-gate.js';
import { openWebSocketPort } from './websocket-port.js';

export interface ConnectOptions<C extends Contract, N extends string> extends Omit<ClientEndpointOptions<C, N>, 'token'> {
  /** `ws://127.0.0.1:<port>/ipcio`, as browser mode prints it. */
  url: string;
  /** The token from the printed URL; sent in the first message, never in the WebSocket URL. */
  token: string;
  /**
   * Told once when the server refuses this page for good (AUTH_FAILED for the
   * token or the name, ORIGIN_REFUSED for the origin); reconnecting stops.
   */
  onRefused?: (error: IpcError) => void;
  /**
   * Told at every change: `connected` at each welcome, `disconnected` the
   * moment the WebSocket closes (with why it closed; the endpoint then
   * reconnects with backoff), `refused` once (with the refusal). See
   * ConnectionState.
   */
  onStateChange?: (state: ConnectionState, error?: IpcError) => void;
}

/**
 * Connects and returns the page API at once; calls made before the first
 * connection is up wait in the endpoint's offline queue, as in Electron.
 * Once connected, a lost connection fails every waiting request with
 * DISCONNECTED at once, and calls made until it is back fail the same way.
 */
export function connectIpcio<C extends Contract = AnyContract, N extends string = string>(options: ConnectOptions<C, N>): RendererApi<C, N> {
  const { url, token, onRefused, onStateChange, ...endpointOptions } = options;
  const gate = new ConnectionGate(onStateChange);
  // Every close of every WebSocket, before the endpoint hears of it: refusals are close codes, which say nothing ipcio-shaped.
  const closed = (code: number, error: IpcError): void => {
    if (!PERMANENT_REFUSALS.has(code)) {
      gate.lost(error);
      return;
    }
    if (gate.state === 'refused') return;
    gate.refused(error);
    void endpoint.close();
    onRefused?.(error);
  };
  const maxFrameSize = endpointOptions.maxFrameSize;
  const logger = endpointOptions.logger ?? console;
  const onUndecodable = (error: IpcError): void => logger.warn(`[ipcio] skipped a message from the server that could not be decoded: ${error.code}: ${error.message}`);
  const endpoint = new ClientEndpoint<C, N>(
    () => openWebSocketPort({ url, token, name: endpointOptions.name, maxFrameSize, onClose: closed, onUndecodable }),
    endpointOptions,
  );
  endpoint.on('connect', () => gate.connected());
  endpoint.connect();
  const pulled = new PulledStreams(DEFAULT_PAGE_MAX_STREAMS);
  // Leaving the page cancels its streams at once; the closing WebSocket then ends whatever is left on main's side.
  globalThis.addEventListener?.('pagehide', () => pulled.cancelAll());
  return createRendererApi(gatedEndpoint(endpoint, gate), pulled);
}

type Endpoint = ClientEndpoint<AnyContract, string>;

/**
 * The endpoint as createRendererApi uses it, with every call passed through
 * the gate. Handler registration is not gated: a page subscribes while
 * disconnected and its handlers are announced at the next welcome.
 */
function gatedEndpoint<C extends Contract, N extends string>(typed: ClientEndpoint<C, N>, gate: ConnectionGate): ClientEndpoint<C, N> {
  const endpoint = typed as unknown as Endpoint;
  const through = <T>(options: RequestOptions | undefined, call: (options: RequestOptions) => Promise<T>): Promise<T> =>
    gate.request((signal) => call({ ...options, signal }), options?.signal);
  const gated: RendererEndpoint = {
    request: (command: string, data: unknown, options?: RequestOptions) => through(options, (o) => endpoint.request(command, data, o)),
    requestFrom: (to: string, command: string, data: unknown, options?: RequestOptions) => through(options, (o) => endpoint.requestFrom(to, command, data, o)),
    discover: (options?: RequestOptions) => through(options, (o) => endpoint.discover(o)),
    waitForPeer: (name: string, options?: RequestOptions) => through(options, (o) => endpoint.waitForPeer(name, o)),
    emit: (command: string, data: unknown) => (gate.check(), endpoint.emit(command, data)),
    emitTo: (to: string, command: string, data: unknown) => (gate.check(), endpoint.emitTo(to, command, data)),
    broadcast: (command: string, data: unknown) => (gate.check(), endpoint.broadcast(command, data)),
    stream: (command: string, data: unknown, options?: StreamCallOptions) => (gate.check(), endpoint.stream(command, data, options)),
    streamFrom: (to: string, command: string, data: unknown, options?: StreamCallOptions) => (gate.check(), endpoint.streamFrom(to, command, data, options)),
    addHandlers: (handlers: Parameters<Endpoint['addHandlers']>[0]) => endpoint.addHandlers(handlers),
    removeHandler: (command: string) => endpoint.removeHandler(command),
  };
  return gated as unknown as ClientEndpoint<C, N>;
}

export { IpcError, ErrorCode, type ConnectionState };
/** `for await (const item of stream(api, 'cmd', data))`: the same page helpers as ipcio/renderer. */
export { stream, streamFrom, type PageStreamOptions } from '../common/page-streams.js';
