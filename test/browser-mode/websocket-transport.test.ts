import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { MessageKind } from '../../lib/common/messages.js';
import { createRendererApi, parseBridgeError } from '../../lib/common/renderer-api.js';
import { frameBytes, WebSocketCloseCode } from '../../lib/common/websocket-protocol.js';
import { IpcServer } from '../../lib/node/server.js';
import { WebSocketTransport } from '../../lib/node/websocket-transport.js';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { connectPage, openRaw, quietLogger } from './support/ws-page.js';

/**
 * Browser mode's transport over real TCP: a `ws` client from Node plays the
 * page (or the intruder), the helper is a real IpcClient in its own process
 * on the Unix socket of the same server.
 */
describe('WebSocket transport (browser mode)', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let transport: WebSocketTransport;
  let helper: PeerProcess;
  const warnings: string[] = [];

  beforeEach(async () => {
    socket = tempSocket();
    warnings.length = 0;
    server = new IpcServer({ socketPath: socket.socketPath, name: 'main', logger: quietLogger }, { whoami: ({ client_name }) => client_name });
    server.start();
    await server.ready;
    transport = await WebSocketTransport.listen(server, {
      authTimeoutMs: 300,
      maxFrameSize: 64 * 1024,
      peerName: (requested) => (requested === undefined ? 'page-auto' : requested.startsWith('window-') ? requested : false),
      logger: { warn: (line: string) => warnings.push(line) },
    });
    helper = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'helper' });
    await helper.call('ready');
  });

  afterEach(async () => {
    await helper?.stop();
    await transport?.close();
    await server?.close();
    socket.cleanup();
  });

  it('listens on 127.0.0.1 only, with a fresh random token', async () => {
    expect(transport.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ipcio$/);
    expect(transport.origin).toBe(`http://127.0.0.1:${transport.port}`);
    expect(transport.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = await WebSocketTransport.listen(server, { logger: quietLogger });
    expect(other.token).not.toBe(transport.token);
    await other.close();
  });

  it('refuses a connection without a token: 4401 when the first message is not the auth message', async () => {
    const hello = frameBytes({ kind: MessageKind.Hello, version: 1, name: 'window-x' }).bytes;
    const ending = await openRaw(transport.url, { origin: transport.origin, first: hello });
    expect(ending).toEqual({ code: WebSocketCloseCode.AUTH_FAILED, reason: 'AUTH_FAILED' });
    expect(server.clients()).toEqual(['helper']);
  });

  it('refuses a connection that sends nothing: 4408 after the auth timeout', async () => {
    const ending = await openRaw(transport.url, { origin: transport.origin });
    expect(ending).toEqual({ code: WebSocketCloseCode.AUTH_TIMEOUT, reason: 'AUTH_TIMEOUT' });
  });

  it('refuses a wrong token, in the first message or in the URL: 4401', async () => {
    expect(await openRaw(transport.url, { origin: transport.origin, auth: { token: 'guess' } })).toEqual({ code: 4401, reason: 'AUTH_FAILED' });
    expect(await openRaw(`${transport.url}?token=guess`, { origin: transport.origin })).toEqual({ code: 4401, reason: 'AUTH_FAILED' });
    expect(warnings.filter((w) => w.includes('AUTH_FAILED'))).toHaveLength(2);
  });

  it('refuses another Origin, a missing Origin and a foreign Host: 4403, even with the right token', async () => {
    const auth = { token: transport.token };
    expect(await openRaw(transport.url, { origin: 'http://evil.example', auth })).toEqual({ code: 4403, reason: 'ORIGIN_REFUSED' });
    expect(await openRaw(transport.url, { origin: `http://127.0.0.1:${transport.port + 1}`, auth })).toEqual({ code: 4403, reason: 'ORIGIN_REFUSED' });
    expect(await openRaw(transport.url, { auth })).toEqual({ code: 4403, reason: 'ORIGIN_REFUSED' });
    // DNS rebinding: the page's origin would be the attacker's name, and so would the Host.
    expect(await openRaw(transport.url, { origin: transport.origin, headers: { Host: `rebound.example:${transport.port}` }, auth })).toEqual({
      code: 4403,
      reason: 'ORIGIN_REFUSED',
    });
    expect(server.clients()).toEqual(['helper']);
  });

  it('answers 404 to an upgrade on another path: no WebSocket at all', async () => {
    const ending = await openRaw(transport.url.replace('/ipcio', '/other'), { origin: transport.origin });
    expect(ending).toEqual({ httpStatus: 404 });
  });

  it('refuses a name the app does not give to pages: 4400', async () => {
    const ending = await openRaw(transport.url, { origin: transport.origin, auth: { token: transport.token, name: 'helper' } });
    expect(ending).toEqual({ code: WebSocketCloseCode.NAME_REFUSED, reason: 'NAME_REFUSED' });
    expect(server.clients()).toEqual(['helper']);
  });

  it('with the right token, a page is a named window peer that reaches the helper end to end', async () => {
    const connected: { name: string; kind: string }[] = [];
    server.on('client-connected', (info) => connected.push(info));
    const page = connectPage(transport.url, { token: transport.token, name: 'window-1', origin: transport.origin }).connect();
    await page.ready;
    expect(page.name).toBe('window-1');
    expect(connected).toEqual([expect.objectContaining({ name: 'window-1', kind: 'window' })]);

    // The page's API is the one the preload exposes, over this endpoint.
    const api = createRendererApi(page);
    expect(await api.requestFrom('helper', 'double', 21)).toBe(42);
    expect(await api.request('whoami')).toBe('window-1');
    const failure = await api.requestFrom('helper', 'fail', null).catch((error: unknown) => error);
    expect(parseBridgeError(failure)).toMatchObject({ code: 'HANDLER_ERROR', remoteCode: 'E_FIXTURE' });
    expect(failure).toMatchObject({ code: ErrorCode.HANDLER_ERROR, remoteCode: 'E_FIXTURE' });

    // And the other way: the helper asks the page, main broadcasts to it.
    api.handle('shout', ({ data, from }) => `${String(data).toUpperCase()} (asked by ${from})`);
    await until(async () => ((await page.discover()).peers['window-1'] ?? []).includes('shout'));
    expect(await helper.call('requestFrom', 'window-1', 'shout', 'hi')).toBe('HI (asked by helper)');
    const heard: unknown[] = [];
    api.on('tick', ({ data }) => heard.push(data));
    await until(async () => ((await page.discover()).peers['window-1'] ?? []).includes('tick'));
    server.broadcast('tick', { n: 1 });
    await until(() => heard.length === 1);
    expect(heard).toEqual([{ n: 1 }]);

    // Binary payloads cross as raw bytes.
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const echoed = (await api.requestFrom('helper', 'echo', bytes)) as { data: Uint8Array };
    expect([...echoed.data]).toEqual([0, 1, 2, 255]);

    // Cancel travels through the server to the helper's AbortSignal.
    const controller = new AbortController();
    const slow = api.requestFrom('helper', 'slow', { ms: 60_000 }, { signal: controller.signal }).catch((error: unknown) => error);
    await helper.waitFor((e) => e.event === 'handler-started');
    controller.abort();
    expect(parseBridgeError(await slow)?.code).toBe('CANCELLED');
    await helper.waitFor((e) => e.event === 'handler-aborted');

    await page.close();
    await until(() => !server.clients().includes('window-1'));
  });

  it('takes the token in the URL too, and names a page that asks for no name', async () => {
    const page = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`${transport.url}?token=${encodeURIComponent(transport.token)}`, { origin: transport.origin });
      ws.on('open', () => ws.send(frameBytes({ kind: MessageKind.Hello, version: 1 }).bytes));
      ws.on('message', () => {
        resolve('welcomed');
        ws.close();
      });
      ws.on('close', (code) => reject(new Error(`closed ${code}`)));
    });
    expect(page).toBe('welcomed');
  });

  it('closes with 1009 on a message over maxFrameSize, and 1003 on a text message after the auth step', async () => {
    const tooBig = new Promise<number>((resolve) => {
      const ws = new WebSocket(`${transport.url}?token=${transport.token}`, { origin: transport.origin });
      ws.on('open', () => ws.send(new Uint8Array(70 * 1024)));
      ws.on('error', () => undefined);
      ws.on('close', (code) => resolve(code));
    });
    expect(await tooBig).toBe(WebSocketCloseCode.MESSAGE_TOO_BIG);

    const text = new Promise<number>((resolve) => {
      const ws = new WebSocket(`${transport.url}?token=${transport.token}`, { origin: transport.origin });
      ws.on('open', () => ws.send('{"kind":"hello","version":1}'));
      ws.on('close', (code) => resolve(code));
    });
    expect(await text).toBe(WebSocketCloseCode.UNSUPPORTED_DATA);
  });

  it('refuses a second page under a taken name with NAME_TAKEN, leaving the first untouched', async () => {
    const first = connectPage(transport.url, { token: transport.token, name: 'window-1', origin: transport.origin }).connect();
    await first.ready;
    const second = connectPage(transport.url, { token: transport.token, name: 'window-1', origin: transport.origin }).connect();
    const refusal = await second.ready.catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(IpcError);
    expect((refusal as IpcError).code).toBe(ErrorCode.NAME_TAKEN);
    expect(await first.requestFrom('helper', 'double', 2)).toBe(4);
    await first.close();
  });

  it('closing the transport ends every page with 1001 and frees their names', async () => {
    const page = connectPage(transport.url, { token: transport.token, name: 'window-1', origin: transport.origin });
    const gone = new Promise<IpcError | undefined>((resolve) => page.on('disconnect', ({ reason }) => resolve(reason)));
    page.connect();
    await page.ready;
    await transport.close();
    const reason = await gone;
    expect(reason?.code).toBe(ErrorCode.DISCONNECTED);
    expect(reason?.message).toContain('1001');
    await until(() => !server.clients().includes('window-1'));
    await page.close();
  });
});
