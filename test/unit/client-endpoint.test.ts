import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientEndpoint } from '../../lib/common/client-endpoint.js';
import { ErrorCode, type IpcError } from '../../lib/common/errors.js';
import { MessageKind, type Message } from '../../lib/common/messages.js';
import type { Port } from '../../lib/common/port.js';
import { ServerCore } from '../../lib/common/server-core.js';
import { codeOf, quiet } from '../support/deferred.js';
import { drain, MemoryNetwork, memoryPortPair, type MemoryPort } from '../support/memory-port.js';

describe('ClientEndpoint over in-memory ports', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('goes idle → connecting → handshaking → online → waiting → online, and stopped on close', async () => {
    const net = new MemoryNetwork();
    net.current = new ServerCore({ logger: quiet });
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet });
    const phases: string[] = [client.phase];
    client.connect();
    phases.push(client.phase);
    await Promise.resolve();
    await Promise.resolve();
    phases.push(client.phase);
    await drain();
    phases.push(client.phase);
    await net.current.close();
    net.current = new ServerCore({ logger: quiet });
    await drain();
    phases.push(client.phase);
    await vi.advanceTimersByTimeAsync(2_000);
    await drain();
    phases.push(client.phase);
    await client.close();
    phases.push(client.phase);
    expect(phases).toEqual(['idle', 'connecting', 'handshaking', 'online', 'waiting', 'online', 'stopped']);
    expect(() => client.connect()).toThrow(expect.objectContaining({ code: ErrorCode.CLOSED }));
  });

  it('connect twice is ALREADY_STARTED', () => {
    const client = new ClientEndpoint(() => new Promise<Port>(() => undefined), { logger: quiet });
    client.connect();
    expect(() => client.connect()).toThrow(expect.objectContaining({ code: ErrorCode.ALREADY_STARTED }));
  });

  it('a server that never welcomes: the attempt ends at the handshake timeout and the client tries again', async () => {
    const far: MemoryPort[] = [];
    let attempts = 0;
    const openPort = (): Promise<Port> => {
      attempts += 1;
      const [mine, theirs] = memoryPortPair();
      theirs.attach({ onMessage: () => undefined, onClose: () => undefined });
      far.push(theirs);
      return Promise.resolve(mine);
    };
    const client = new ClientEndpoint(openPort, { name: 'c', logger: quiet, handshakeTimeoutMs: 1_000, reconnect: { minMs: 10, maxMs: 10 } });
    const errors: IpcError[] = [];
    client.on('error', (e) => errors.push(e));
    client.connect();
    await drain();
    expect(client.phase).toBe('handshaking');
    await vi.advanceTimersByTimeAsync(1_000);
    await drain();
    expect(errors.map((e) => e.code)).toEqual([ErrorCode.HANDSHAKE_TIMEOUT]);
    expect(client.phase).toBe('waiting');
    expect(far[0]?.isClosed).toBe(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(attempts).toBe(2);
    await client.close();
  });

  it('queues while offline and sends in order at the welcome; a full queue refuses the newest with QUEUE_FULL', async () => {
    const net = new MemoryNetwork();
    const seen: unknown[] = [];
    net.current = new ServerCore({ logger: quiet }, { seq: ({ data }) => void seen.push(data), echo: ({ data }) => data });
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet, queueLimit: 3 });
    const errors: IpcError[] = [];
    client.on('error', (e) => errors.push(e));
    client.emit('seq', 1);
    client.emit('seq', 2);
    const answer = client.request('echo', 3);
    client.emit('seq', 4);
    expect(errors.map((e) => e.code)).toEqual([ErrorCode.QUEUE_FULL]);
    client.connect();
    await drain();
    expect(await answer).toBe(3);
    expect(seen).toEqual([1, 2]);
    await client.close();
  });

  it('a request that times out in the queue is never sent; one that times out after sending is cancelled', async () => {
    const net = new MemoryNetwork();
    net.current = new ServerCore({ logger: quiet }, { hang: () => new Promise(() => undefined) });
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet });
    const queued = codeOf(client.request('hang', undefined, { timeoutMs: 100 }));
    await vi.advanceTimersByTimeAsync(100);
    expect(await queued).toBe(ErrorCode.TIMEOUT);
    client.connect();
    await drain();
    const port = net.clientPorts[0]!;
    expect(port.sent.filter((m) => m.kind === MessageKind.Request)).toEqual([]);
    const sent = codeOf(client.request('hang', undefined, { timeoutMs: 100 }));
    await drain();
    await vi.advanceTimersByTimeAsync(100);
    expect(await sent).toBe(ErrorCode.TIMEOUT);
    const request = port.sent.find((m): m is Extract<Message, { kind: 'request' }> => m.kind === MessageKind.Request)!;
    expect(port.sent.filter((m) => m.kind === MessageKind.Cancel)).toEqual([{ kind: MessageKind.Cancel, id: request.id }]);
    await drain();
    expect(net.current.connection('c')?.holding.handlerCalls).toBe(0);
    await client.close();
  });

  it('close fails queued requests with CLOSED, reports dropped emits, sends nothing after, and later calls fail at once', async () => {
    const net = new MemoryNetwork();
    net.current = new ServerCore({ logger: quiet });
    const client = new ClientEndpoint(net.openPort, { name: 'c', logger: quiet });
    const errors: IpcError[] = [];
    client.on('error', (e) => errors.push(e));
    client.emit('a');
    const request = codeOf(client.request('b'));
    await client.close();
    expect(await request).toBe(ErrorCode.CLOSED);
    expect(errors.map((e) => e.code)).toEqual([ErrorCode.CLOSED]);
    expect(await codeOf(client.request('c'))).toBe(ErrorCode.CLOSED);
    expect(await codeOf(client.ready)).toBe(ErrorCode.CLOSED);
    expect(net.attempts).toBe(0);
  });

  it('a connect failure that no retry can fix (UNSAFE_SOCKET_DIR) stops the client', async () => {
    const { IpcError } = await import('../../lib/common/errors.js');
    const client = new ClientEndpoint(() => Promise.reject(new IpcError(ErrorCode.UNSAFE_SOCKET_DIR, 'owned by someone else')), { logger: quiet });
    client.on('error', () => undefined);
    client.connect();
    expect(await codeOf(client.ready)).toBe(ErrorCode.UNSAFE_SOCKET_DIR);
    expect(client.phase).toBe('stopped');
  });
});
