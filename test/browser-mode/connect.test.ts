import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectIpcio } from '../../lib/browser/connect.js';
import { IpcServer } from '../../lib/node/server.js';
import { WebSocketTransport } from '../../lib/node/websocket-transport.js';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket } from '../support/temp-socket.js';
import { quietLogger } from './support/ws-page.js';

/**
 * connectIpcio itself (the page entry of ipcio/browser), from Node: Node 20
 * has no DOM WebSocket, so the `ws` package's stands in as the global, with
 * the Origin header a page's browser sends. Everything else is real: the
 * transport, the server and a helper in its own process.
 */
describe('connectIpcio (browser mode page API)', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let transport: WebSocketTransport;
  let helper: PeerProcess | undefined;
  const hadWebSocket = 'WebSocket' in globalThis;
  const previousWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;

  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, name: 'main', logger: quietLogger }, {});
    server.start();
    await server.ready;
    transport = await WebSocketTransport.listen(server, { logger: quietLogger, peerName: (requested) => requested ?? 'page' });
    const origin = transport.origin;
    (globalThis as { WebSocket?: unknown }).WebSocket = class PageWebSocket extends WebSocket {
      constructor(url: string) {
        super(url, { origin });
      }
    };
  });

  afterEach(async () => {
    if (hadWebSocket) (globalThis as { WebSocket?: unknown }).WebSocket = previousWebSocket;
    else delete (globalThis as { WebSocket?: unknown }).WebSocket;
    await helper?.stop();
    helper = undefined;
    await transport?.close();
    await server?.close();
    socket.cleanup();
  });

  it('waitForPeer goes through the gate to the server: it resolves once the helper connects', async () => {
    const api = connectIpcio({ url: transport.url, token: transport.token, name: 'window-1', reconnect: false, logger: quietLogger });
    const waited = api.waitForPeer('helper', { timeoutMs: 20_000 });
    helper = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'helper' });
    await helper.call('ready');
    await expect(waited).resolves.toBeUndefined();
    expect((await api.discover()).peers).toHaveProperty('helper');
  });
});
