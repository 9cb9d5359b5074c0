import { createServer, connect as connectSocket, type Server, type Socket } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { MessagePortPort } from '../../lib/common/message-port-port.js';
import type { Message } from '../../lib/common/messages.js';
import type { Port, PortReceiver } from '../../lib/common/port.js';
import { WebSocketPort } from '../../lib/common/websocket-port.js';
import { SocketPort } from '../../lib/node/socket-port.js';
import { memoryPortPair } from '../support/memory-port.js';
import { tempSocket } from '../support/temp-socket.js';

const MAX_FRAME = 1024 * 1024;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A receiver that records everything and lets a test wait for its close (no sleeping). */
function recorder(): PortReceiver & { messages: Message[]; closes: (IpcError | undefined)[]; closed: Promise<void> } {
  const messages: Message[] = [];
  const closes: (IpcError | undefined)[] = [];
  let onClosed!: () => void;
  const closed = new Promise<void>((resolve) => (onClosed = resolve));
  return {
    messages,
    closes,
    closed,
    onMessage: (m) => messages.push(m),
    onClose: (reason) => {
      closes.push(reason);
      onClosed();
    },
  };
}

/**
 * A pair of ports, and a promise of the last event their underlying transport emits on both ends (its
 * own close): once it has resolved, nothing underneath is left to report a close to a port.
 */
type Pair = [Port, Port, Promise<unknown>];

/** Resolves on the emitter's 'close': listen before anything can close it. */
function closeOf(emitter: { once(event: 'close', listener: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => void emitter.once('close', () => resolve()));
}

async function socketPair(): Promise<Pair> {
  const { socketPath, cleanup } = tempSocket();
  const server: Server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  cleanups.push(() => new Promise<void>((done) => server.close(() => done())), cleanup);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const client = connectSocket(socketPath);
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  const serverSide = await accepted;
  cleanups.push(() => void client.destroy(), () => void serverSide.destroy());
  const rawClosed = Promise.all([closeOf(client), closeOf(serverSide)]);
  return [new SocketPort(client, { maxFrameSize: MAX_FRAME }), new SocketPort(serverSide, { maxFrameSize: MAX_FRAME }), rawClosed];
}

function messagePortPair(): Pair {
  const { port1, port2 } = new MessageChannel();
  cleanups.push(() => void port1.close(), () => void port2.close());
  const rawClosed = Promise.all([closeOf(port1), closeOf(port2)]);
  return [new MessagePortPort(port1), new MessagePortPort(port2), rawClosed];
}

async function webSocketPair(): Promise<Pair> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  cleanups.push(() => new Promise<void>((done) => wss.close(() => done())));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
  const address = wss.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${address.port}`);
  client.binaryType = 'arraybuffer';
  // Ports are made while open, as the transports do after their auth step.
  const serverWs = await accepted;
  await new Promise<void>((resolve) => (client.readyState === WebSocket.OPEN ? resolve() : client.once('open', () => resolve())));
  cleanups.push(() => void client.terminate(), () => void serverWs.terminate());
  const rawClosed = Promise.all([closeOf(client), closeOf(serverWs)]);
  return [new WebSocketPort(client, { maxFrameSize: MAX_FRAME }), new WebSocketPort(serverWs, { maxFrameSize: MAX_FRAME }), rawClosed];
}

/** The memory ports have nothing underneath: their close is all there is. */
function memoryPair(): Pair {
  const [a, b] = memoryPortPair();
  return [a, b, Promise.resolve()];
}

/** One more turn of the event loop, for anything a transport defers past its close event. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const transports: [string, () => Promise<Pair> | Pair][] = [
  ['SocketPort (Unix socket)', socketPair],
  ['MessagePortPort (worker_threads MessageChannel)', messagePortPair],
  ['WebSocketPort (ws over loopback)', webSocketPair],
  ['MemoryPort (the test port)', memoryPair],
];

const emit = (n: number): Message => ({ kind: 'emit', cmd: 'n', data: n });

describe.each(transports)('the Port contract: %s', (_name, makePair) => {
  it('delivers in order, holds what arrives before attach, and never inside send', async () => {
    const [a, b] = await makePair();
    const atA = recorder();
    const atB = recorder();
    a.attach(atA);
    for (let n = 0; n < 5; n += 1) a.send(emit(n));
    expect(atB.messages).toEqual([]);
    a.send({ kind: 'request', id: 99, cmd: 'last' });
    // Attached late: everything that arrived meanwhile is delivered, in order.
    await new Promise((resolve) => setTimeout(resolve, 20));
    b.attach(atB);
    b.send({ kind: 'response', id: 99, data: 'ok' });
    await new Promise<void>((resolve) => {
      const check = (): void => (atA.messages.length === 1 && atB.messages.length === 6 ? resolve() : void setTimeout(check, 1));
      check();
    });
    expect(atB.messages.map((m) => (m.kind === 'emit' ? m.data : m.kind))).toEqual([0, 1, 2, 3, 4, 'request']);
    a.close();
    await Promise.all([atA.closed, atB.closed]);
  });

  it('close: onClose exactly once on both ends, the reason on the closing end, messages sent before it arrive first', async () => {
    const [a, b, rawClosed] = await makePair();
    const atA = recorder();
    const atB = recorder();
    a.attach(atA);
    b.attach(atB);
    const reason = new IpcError(ErrorCode.BAD_MESSAGE, 'refused');
    a.send(emit(1));
    a.close(reason);
    a.close();
    await Promise.all([atA.closed, atB.closed]);
    expect(atB.messages.map((m) => (m.kind === 'emit' ? m.data : m.kind))).toEqual([1]);
    expect(atA.closes).toEqual([reason]);
    expect(atB.closes).toHaveLength(1);
    // Late events (socket close, close frames) have had their turn: still once.
    await rawClosed;
    await nextTurn();
    expect([atA.closes.length, atB.closes.length]).toEqual([1, 1]);
  });

  it('send after close throws CLOSED on the closing end, and after onClose on the far end', async () => {
    const [a, b] = await makePair();
    const atA = recorder();
    const atB = recorder();
    a.attach(atA);
    b.attach(atB);
    a.close();
    expect(() => a.send(emit(1))).toThrow(expect.objectContaining({ code: ErrorCode.CLOSED }));
    await atB.closed;
    expect(() => b.send(emit(2))).toThrow(expect.objectContaining({ code: ErrorCode.CLOSED }));
  });

  it('a port closed before attach still reports its close, once, after attach', async () => {
    const [a, b, rawClosed] = await makePair();
    const atA = recorder();
    const atB = recorder();
    a.attach(atA);
    a.close();
    await atA.closed;
    // b's end has seen the close (its transport's own close event) before b is attached.
    await rawClosed;
    await nextTurn();
    b.attach(atB);
    await atB.closed;
    await nextTurn();
    expect(atB.closes).toHaveLength(1);
  });
});
