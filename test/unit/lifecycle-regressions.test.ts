import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientEndpoint } from '../../lib/common/client-endpoint.js';
import { ErrorCode, type IpcError } from '../../lib/common/errors.js';
import { MessageKind } from '../../lib/common/messages.js';
import { ServerCore } from '../../lib/common/server-core.js';
import { codeOf, deferred, quiet } from '../support/deferred.js';
import { drain, MemoryNetwork, RawPeer } from '../support/memory-port.js';

describe('connection lifecycle regressions (issue 9), over in-memory ports', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('defect 1: a client handler late answer never reaches a different request after a reconnect', async () => {
    const net = new MemoryNetwork();
    net.current = new ServerCore({ logger: quiet });
    const answers = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet }, { work: () => answers[calls++]!.promise });
    client.connect();
    await drain();
    await client.ready;
    const first = codeOf(net.current.request('c', 'work'));
    await drain();
    expect(calls).toBe(1);
    await net.current.close();
    net.current = new ServerCore({ logger: quiet });
    await drain();
    expect(await first).toBe(ErrorCode.CLOSED);
    await vi.advanceTimersByTimeAsync(5_000); // the reconnect backoff
    await drain();
    expect(client.connected).toBe(true);
    const second = net.current.request('c', 'work'); // the same id, 1, on the new server
    await drain();
    expect(calls).toBe(2);
    answers[0]!.resolve('old answer'); // the first handler finishes late
    await drain();
    answers[1]!.resolve('new answer');
    expect(await second).toBe('new answer');
    await client.close();
  });

  it('defect 2: a client refused for good (its name is the server name) stops: ready rejects, calls fail at once, no retry', async () => {
    const net = new MemoryNetwork();
    net.current = new ServerCore({ logger: quiet });
    const errors: IpcError[] = [];
    const client = new ClientEndpoint(net.openPort, { name: 'server', logger: quiet });
    client.on('error', (error) => errors.push(error));
    client.emit('queued-before-connect');
    const queuedRequest = codeOf(client.request('queued'));
    client.connect();
    await drain();
    expect(await codeOf(client.ready)).toBe(ErrorCode.BAD_MESSAGE);
    expect(client.phase).toBe('stopped');
    expect(await queuedRequest).toBe(ErrorCode.BAD_MESSAGE);
    expect(errors.some((e) => e.message.includes('1 queued message(s) were never sent'))).toBe(true);
    expect(await codeOf(client.request('later'))).toBe(ErrorCode.BAD_MESSAGE);
    const reported = errors.length;
    client.emit('later');
    expect(errors.length).toBe(reported + 1);
    const attempts = net.attempts;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(net.attempts).toBe(attempts);
  });

  it('defect 2: with reconnect false, a client whose connection drops stops with DISCONNECTED', async () => {
    const net = new MemoryNetwork();
    net.current = new ServerCore({ logger: quiet });
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet, reconnect: false });
    client.on('error', () => undefined);
    client.connect();
    await drain();
    await client.ready;
    await net.current.close();
    await drain();
    // At once: a request that had to wait for its timeout would be TIMEOUT.
    const later = codeOf(client.request('later', undefined, { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(await later).toBe(ErrorCode.DISCONNECTED);
    expect(client.phase).toBe('stopped');
  });

  it('defect 2: a fatal error whose retry flag is false stops the client whatever its code', async () => {
    const net = new MemoryNetwork();
    const server = new ServerCore({ logger: quiet });
    net.current = server;
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet });
    client.on('error', () => undefined);
    client.connect();
    await drain();
    await client.ready;
    const port = net.clientPorts[0]!.peer;
    port.send({ kind: MessageKind.Error, error: { code: ErrorCode.SLOW_CONSUMER, message: 'go away' }, fatal: true, retry: false });
    await drain();
    const later = codeOf(client.request('later', undefined, { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(await later).toBe(ErrorCode.SLOW_CONSUMER);
    expect(client.phase).toBe('stopped');
    expect(client.stoppedReason?.code).toBe(ErrorCode.SLOW_CONSUMER);
  });

  it('defect 3: the server never answers a request after its cancel, even when the id is reused', async () => {
    const gates = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const server = new ServerCore({ logger: quiet }, { work: () => gates[calls++]!.promise });
    const peer = new RawPeer(server);
    await peer.join('raw');
    peer.send({ kind: MessageKind.Request, id: 1, cmd: 'work' });
    await drain();
    peer.send({ kind: MessageKind.Cancel, id: 1 });
    await drain();
    gates[0]!.resolve('stale');
    await drain();
    expect(peer.of(MessageKind.Response)).toEqual([]);
    peer.send({ kind: MessageKind.Request, id: 1, cmd: 'work' });
    await drain();
    gates[1]!.resolve('fresh');
    await drain();
    expect(peer.of(MessageKind.Response).map((r) => r.data)).toEqual(['fresh']);
  });

  it('defect 3: a forwarded request is not answered after its cancel', async () => {
    const server = new ServerCore({ logger: quiet });
    const origin = new RawPeer(server);
    const target = new RawPeer(server);
    await origin.join('a');
    await target.join('b');
    origin.send({ kind: MessageKind.Request, id: 1, cmd: 'work', to: 'b' });
    await drain();
    const routed = target.of(MessageKind.Request)[0]!;
    origin.send({ kind: MessageKind.Cancel, id: 1 });
    await drain();
    expect(target.of(MessageKind.Cancel).map((c) => c.id)).toEqual([routed.id]);
    target.send({ kind: MessageKind.Response, id: routed.id, data: 'late' });
    await drain();
    expect(origin.of(MessageKind.Response)).toEqual([]);
  });

  it('defect 4: a cancel is not lost after an id is reused (the first handler finishing does not remove the second entry)', async () => {
    const gates = [deferred<string>(), deferred<string>()];
    const signals: AbortSignal[] = [];
    const server = new ServerCore({ logger: quiet }, {
      work: ({ signal }) => {
        signals.push(signal);
        return gates[signals.length - 1]!.promise;
      },
    });
    const peer = new RawPeer(server);
    await peer.join('raw');
    peer.send({ kind: MessageKind.Request, id: 1, cmd: 'work' });
    await drain();
    peer.send({ kind: MessageKind.Cancel, id: 1 });
    peer.send({ kind: MessageKind.Request, id: 1, cmd: 'work' });
    await drain();
    gates[0]!.resolve('first finishes after the reuse');
    await drain();
    peer.send({ kind: MessageKind.Cancel, id: 1 });
    await drain();
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    gates[1]!.resolve('second');
    await drain();
    expect(peer.of(MessageKind.Response)).toEqual([]);
  });

  it('defect 4: a forwarded cancel reaches the second request that reused the id', async () => {
    const server = new ServerCore({ logger: quiet });
    const origin = new RawPeer(server);
    const target = new RawPeer(server);
    await origin.join('a');
    await target.join('b');
    origin.send({ kind: MessageKind.Request, id: 7, cmd: 'work', to: 'b' });
    await drain();
    const firstRoute = target.of(MessageKind.Request)[0]!.id;
    origin.send({ kind: MessageKind.Cancel, id: 7 });
    origin.send({ kind: MessageKind.Request, id: 7, cmd: 'work', to: 'b' });
    await drain();
    const secondRoute = target.of(MessageKind.Request)[1]!.id;
    target.send({ kind: MessageKind.Response, id: firstRoute, data: 'late first' });
    await drain();
    origin.send({ kind: MessageKind.Cancel, id: 7 });
    await drain();
    expect(target.of(MessageKind.Cancel).map((c) => c.id)).toEqual([firstRoute, secondRoute]);
    expect(origin.of(MessageKind.Response)).toEqual([]);
  });

  it('defect 5: a connection replaced by a session reclaim is told SESSION_REPLACED, not to retry, and its client stops', async () => {
    const net = new MemoryNetwork();
    const server = new ServerCore({ logger: quiet });
    net.current = server;
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet });
    const errors: IpcError[] = [];
    client.on('error', (error) => errors.push(error));
    client.connect();
    await drain();
    await client.ready;
    const welcome = net.clientPorts[0]!.received.find((m) => m.kind === MessageKind.Welcome);
    if (welcome?.kind !== MessageKind.Welcome) throw new Error('no welcome');
    const reclaimer = new RawPeer(server);
    await reclaimer.join('c', welcome.session);
    await drain();
    const fatal = net.clientPorts[0]!.received.find((m) => m.kind === MessageKind.Error);
    expect(fatal).toMatchObject({ fatal: true, retry: false, error: { code: ErrorCode.SESSION_REPLACED } });
    expect(client.phase).toBe('stopped');
    expect(client.stoppedReason?.code).toBe(ErrorCode.SESSION_REPLACED);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(net.attempts).toBe(1);
    expect(server.clients()).toEqual(['c']);
    expect(reclaimer.closedWith).toBeUndefined();
  });
});
