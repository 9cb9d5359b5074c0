import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../lib/common/errors.js';
import { MessageKind, MONITOR_COMMAND } from '../../lib/common/messages.js';
import { ServerCore } from '../../lib/common/server-core.js';
import { allowPolicy } from '../../lib/electron-main/allow.js';
import { codeOf, deferred, quiet } from '../support/deferred.js';
import { drain, memoryPortPair, RawPeer } from '../support/memory-port.js';

describe('ServerCore over in-memory ports', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses a connection without hello after the handshake timeout, with a fatal error that allows a retry', async () => {
    const server = new ServerCore({ logger: quiet, handshakeTimeoutMs: 1000 });
    server.on('error', () => undefined);
    const peer = new RawPeer(server);
    await vi.advanceTimersByTimeAsync(999);
    expect(peer.closedWith).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await drain();
    expect(peer.of(MessageKind.Error)).toMatchObject([{ fatal: true, retry: true, error: { code: ErrorCode.HANDSHAKE_TIMEOUT } }]);
    expect(peer.closedWith).toBeDefined();
  });

  it('refuses bad names with a fatal BAD_MESSAGE that forbids a retry, and keeps serving others', async () => {
    const server = new ServerCore({ logger: quiet }, { ping: () => 'pong' });
    for (const name of ['', 'x'.repeat(129), 'a\u0007b', 'server']) {
      const peer = new RawPeer(server);
      peer.send({ kind: MessageKind.Hello, version: 1, name });
      await drain();
      expect(peer.of(MessageKind.Error), JSON.stringify(name)).toMatchObject([{ fatal: true, retry: false, error: { code: ErrorCode.BAD_MESSAGE } }]);
    }
    const good = new RawPeer(server);
    await good.join('x'.repeat(128));
    good.send({ kind: MessageKind.Request, id: 0, cmd: 'ping' });
    await drain();
    expect(good.of(MessageKind.Response)).toEqual([{ kind: MessageKind.Response, id: 0, data: 'pong' }]);
  });

  it('a handler that never settles keeps no entry once its requester leaves: its signal aborts, the connection is released', async () => {
    let signal: AbortSignal | undefined;
    const server = new ServerCore({ logger: quiet }, { hang: (call) => ((signal = call.signal), new Promise(() => undefined)) });
    const peer = new RawPeer(server);
    await peer.join('p');
    peer.send({ kind: MessageKind.Request, id: 3, cmd: 'hang' });
    await drain();
    const connection = server.connection('p');
    expect(connection?.holding.handlerCalls).toBe(1);
    peer.port.close();
    await drain();
    expect(signal?.aborted).toBe(true);
    expect(connection?.open).toBe(false);
    expect(connection?.holding).toEqual({ serverRequests: 0, handlerCalls: 0, sentThrough: 0, routedHere: 0 });
    expect(server.connection('p')).toBeUndefined();
  });

  it('forwarded requests: the target leaving answers the origin DISCONNECTED; the origin leaving cancels at the target', async () => {
    const server = new ServerCore({ logger: quiet });
    const a = new RawPeer(server);
    const b = new RawPeer(server);
    const c = new RawPeer(server);
    await a.join('a');
    await b.join('b');
    await c.join('c');
    a.send({ kind: MessageKind.Request, id: 1, cmd: 'w', to: 'b' });
    c.send({ kind: MessageKind.Request, id: 1, cmd: 'w', to: 'a' });
    await drain();
    expect(server.connection('a')?.holding).toMatchObject({ sentThrough: 1, routedHere: 1 });
    b.port.close();
    await drain();
    expect(a.of(MessageKind.Response)).toMatchObject([{ id: 1, error: { code: ErrorCode.DISCONNECTED } }]);
    c.port.close();
    await drain();
    const routed = a.of(MessageKind.Request)[0]!;
    expect(a.of(MessageKind.Cancel)).toEqual([{ kind: MessageKind.Cancel, id: routed.id }]);
    expect(server.connection('a')?.holding).toEqual({ serverRequests: 0, handlerCalls: 0, sentThrough: 0, routedHere: 0 });
  });

  it('the server own request times out with TIMEOUT, sends cancel, and drops the late answer', async () => {
    const server = new ServerCore({ logger: quiet });
    const peer = new RawPeer(server);
    await peer.join('p');
    const answer = codeOf(server.request('p', 'slow', undefined, { timeoutMs: 500 }));
    await drain();
    const request = peer.of(MessageKind.Request)[0]!;
    await vi.advanceTimersByTimeAsync(500);
    expect(await answer).toBe(ErrorCode.TIMEOUT);
    await drain();
    expect(peer.of(MessageKind.Cancel)).toEqual([{ kind: MessageKind.Cancel, id: request.id }]);
    peer.send({ kind: MessageKind.Response, id: request.id, data: 'late' });
    await drain();
    expect(server.connection('p')?.holding.serverRequests).toBe(0);
  });

  it('a request whose id is still outstanding is refused with a non-fatal BAD_MESSAGE; the first is answered once', async () => {
    const gate = deferred<string>();
    const server = new ServerCore({ logger: quiet }, { work: () => gate.promise });
    const peer = new RawPeer(server);
    await peer.join('p');
    peer.send({ kind: MessageKind.Request, id: 9, cmd: 'work' });
    peer.send({ kind: MessageKind.Request, id: 9, cmd: 'work' });
    await drain();
    expect(peer.of(MessageKind.Error)).toMatchObject([{ error: { code: ErrorCode.BAD_MESSAGE } }]);
    expect(peer.of(MessageKind.Error)[0]?.fatal).toBeUndefined();
    gate.resolve('once');
    await drain();
    expect(peer.of(MessageKind.Response)).toEqual([{ kind: MessageKind.Response, id: 9, data: 'once' }]);
  });

  it('the allow policy answers FORBIDDEN (a response for a request, an error for an emit) and always allows discovery', async () => {
    const server = new ServerCore({ logger: quiet }, { log: () => 'logged', secret: () => 'leaked' });
    const allow = allowPolicy({ server: ['log'], clients: {}, broadcasts: [] }, 'server');
    const win = new RawPeer(server, { name: 'win', trusted: true, allow, kind: 'window' });
    await win.join('ignored');
    win.send({ kind: MessageKind.Request, id: 1, cmd: 'log' });
    win.send({ kind: MessageKind.Request, id: 2, cmd: 'secret' });
    win.send({ kind: MessageKind.Emit, cmd: 'secret' });
    win.send({ kind: MessageKind.Request, id: 3, cmd: 'ipcio:discover' });
    await drain();
    const responses = win.of(MessageKind.Response);
    expect(responses.find((r) => r.id === 1)?.data).toBe('logged');
    expect(responses.find((r) => r.id === 2)?.error?.code).toBe(ErrorCode.FORBIDDEN);
    expect(responses.find((r) => r.id === 3)?.data).toMatchObject({ clients: ['win'] });
    expect(win.of(MessageKind.Error)).toMatchObject([{ error: { code: ErrorCode.FORBIDDEN } }]);
  });

  it('a monitor subscription ends with its connection', async () => {
    const server = new ServerCore({ logger: quiet }, { note: () => undefined });
    const monitor = new RawPeer(server);
    const other = new RawPeer(server);
    await monitor.join('m');
    await other.join('o');
    monitor.send({ kind: MessageKind.Request, id: 1, cmd: MONITOR_COMMAND });
    await drain();
    other.send({ kind: MessageKind.Emit, cmd: 'note' });
    await drain();
    expect(monitor.of(MessageKind.Emit).map((e) => e.data)).toMatchObject([{ from: 'o', kind: 'emit', cmd: 'note' }]);
    const connection = server.connection('m');
    expect(connection?.monitoring).toBe(true);
    monitor.port.close();
    await drain();
    expect(connection?.monitoring).toBe(false);
  });

  it('close rejects the server requests with CLOSED and closes every port, pending handshakes too', async () => {
    const server = new ServerCore({ logger: quiet });
    const peer = new RawPeer(server);
    await peer.join('p');
    const [, waiting] = memoryPortPair();
    server.accept(waiting);
    const answer = codeOf(server.request('p', 'x'));
    await drain();
    await server.close();
    await drain();
    expect(await answer).toBe(ErrorCode.CLOSED);
    expect(peer.closedWith).toBeDefined();
    expect(waiting.isClosed).toBe(true);
    expect(await codeOf(server.request('p', 'x'))).toBe(ErrorCode.CLOSED);
  });
});
