import { WebSocket } from 'ws';
import { ClientEndpoint } from '../../../lib/common/client-endpoint.js';
import { WebSocketPort } from '../../../lib/common/websocket-port.js';

/** How a raw WebSocket to browser mode ended: the close code and reason the server chose, or the HTTP status of a refused upgrade. */
export interface Ending {
  code?: number;
  reason?: string;
  httpStatus?: number;
}

export interface RawOptions {
  origin?: string;
  /** Sent as the first text message once open. */
  auth?: unknown;
  /** Sent as the first message once open, instead of `auth`. */
  first?: Uint8Array | string;
  headers?: Record<string, string>;
}

/** Opens a WebSocket like a page would (or like an intruder would) and reports how the server ended it. */
export function openRaw(url: string, options: RawOptions = {}): Promise<Ending> {
  return new Promise((resolve) => {
    const wsOptions = options.origin === undefined ? { headers: options.headers } : { origin: options.origin, headers: options.headers };
    const ws = new WebSocket(url, wsOptions);
    ws.on('open', () => {
      if (options.first !== undefined) ws.send(options.first);
      else if (options.auth !== undefined) ws.send(JSON.stringify(options.auth));
    });
    ws.on('unexpected-response', (_request, response) => {
      resolve({ httpStatus: response.statusCode });
      ws.terminate();
    });
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/**
 * What connectIpcio does in a page, from Node: a ClientEndpoint over a
 * WebSocketPort, token in the first message. Uses the `ws` package's
 * WebSocket, which speaks the DOM's addEventListener, so the port under test
 * is the very one the page uses.
 */
export function connectPage(url: string, options: { token: string; name?: string; origin: string }): ClientEndpoint {
  const openPort = (): Promise<WebSocketPort> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { origin: options.origin });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.send(JSON.stringify({ token: options.token, name: options.name }));
        resolve(new WebSocketPort(ws, { maxFrameSize: 64 * 1024 * 1024 }));
      });
    });
  return new ClientEndpoint(openPort, { name: options.name, reconnect: false, logger: quietLogger });
}

const noop = (): void => undefined;
export const quietLogger = { debug: noop, info: noop, warn: noop, error: noop };
