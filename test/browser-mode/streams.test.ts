import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stream, streamFrom } from '../../lib/common/page-streams.js';
import { createRendererApi } from '../../lib/common/renderer-api.js';
import { IpcServer } from '../../lib/node/server.js';
import { WebSocketTransport } from '../../lib/node/websocket-transport.js';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket } from '../support/temp-socket.js';
import { connectPage, quietLogger } from './support/ws-page.js';

/**
 * Browser mode's streams over real TCP: the page's endpoint over a `ws`
 * WebSocket (the port a page uses), the page API and its AsyncIterable
 * helpers; the producer is a helper in its own process.
 */
describe('streams in browser mode (WebSocket page)', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let transport: WebSocketTransport;
  let helper: PeerProcess;

  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer(
      { socketPath: socket.socketPath, name: 'main', logger: quietLogger },
      {
        letters: async function* () {
          yield* ['a', 'b', 'c'];
        },
      },
    );
    server.start();
    await server.ready;
    transport = await WebSocketTransport.listen(server, { logger: quietLogger, peerName: (requested) => requested ?? 'page' });
    helper = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'helper' });
    await helper.call('ready');
  });

  afterEach(async () => {
    await helper?.stop();
    await transport?.close();
    await server?.close();
    socket.cleanup();
  });

  it('a page reads main\'s stream and a helper\'s through the page API', async () => {
    const endpoint = connectPage(transport.url, { token: transport.token, name: 'window-1', origin: transport.origin }).connect();
    await endpoint.ready;
    const api = createRendererApi(endpoint);
    const letters: unknown[] = [];
    for await (const letter of stream(api, 'letters')) letters.push(letter);
    expect(letters).toEqual(['a', 'b', 'c']);
    const counted: unknown[] = [];
    for await (const n of streamFrom(api, 'helper', 'count', { n: 20 }, { window: 2 })) counted.push(n);
    expect(counted).toEqual([...Array(20).keys()]);
    await endpoint.close();
  });

  it('the page closing its WebSocket mid-stream (unload) aborts the helper\'s producer', async () => {
    const endpoint = connectPage(transport.url, { token: transport.token, name: 'window-1', origin: transport.origin }).connect();
    await endpoint.ready;
    const api = createRendererApi(endpoint);
    const endless = streamFrom(api, 'helper', 'count', undefined, { window: 2 });
    expect(await endless.next()).toEqual({ done: false, value: 0 });
    endpoint.connection?.port.close();
    expect(await helper.waitFor((e) => e.event === 'producer-finally')).toMatchObject({ aborted: true });
    await endpoint.close();
  });
});
