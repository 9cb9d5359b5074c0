import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import type { Message } from '../../lib/common/messages.js';
import { MAX_NESTING_DEPTH } from '../../lib/common/nesting.js';
import { frameBytes } from '../../lib/common/websocket-protocol.js';
import { WebSocketPort } from '../../lib/common/websocket-port.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { rawJsonFrame } from '../support/frames.js';
import { RawPeer } from '../support/raw-peer.js';
import { welcomingServer } from '../support/raw-server.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { reportFigures } from './support/harness.js';
import { WebSocket, WebSocketServer } from 'ws';
import { quiet } from '../support/deferred.js';

const PYTHON_CLIENT = fileURLToPath(new URL('./fixtures/nesting_client.py', import.meta.url));

/** `levels` arrays one inside the other around a 0. */
function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i += 1) value = [value];
  return value;
}
function nestedJson(levels: number): string {
  return `${'['.repeat(levels)}0${']'.repeat(levels)}`;
}
function depthOf(value: unknown): number {
  let levels = 0;
  while (Array.isArray(value)) {
    levels += 1;
    value = value[0];
  }
  return levels;
}

class PythonClient {
  lines: string[] = [];
  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => this.lines.push(...chunk.toString().split('\n').filter((l) => l !== '')));
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  }
  static async start(socketPath: string, name: string): Promise<PythonClient> {
    const client = new PythonClient(spawn('python3', [PYTHON_CLIENT, socketPath, name]));
    await until(() => client.lines.includes('connected'), 10_000, `python client ${name}`);
    return client;
  }
  async stop(): Promise<void> {
    this.child.kill('SIGKILL');
    await new Promise((resolve) => this.child.on('exit', resolve));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('deep nesting (issue 11, item 5)', () => {
  it('every client survives one undecodable message: skips it, reports it, keeps its connection (Node and Python)', async () => {
    const socket = tempSocket();
    cleanups.push(socket.cleanup);
    const raw = await welcomingServer(socket.socketPath);
    cleanups.push(() => raw.close());
    const nodeErrors: string[] = [];
    const nodeTicks: number[] = [];
    const node = new IpcClient({ socketPath: socket.socketPath, name: 'node', logger: quiet }, { tick: ({ data }) => void nodeTicks.push(depthOf(data)) });
    node.on('error', (error) => nodeErrors.push(error.code));
    await node.connect().ready;
    cleanups.push(() => node.close());
    const python = await PythonClient.start(socket.socketPath, 'python');
    cleanups.push(() => python.stop());
    await until(() => raw.sockets.length === 2, 5_000, 'both connections');
    for (const sock of raw.sockets) {
      // What a server without the limit relayed: 1,200 deep (RecursionError in Python), then JSON that is not JSON.
      sock.write(rawJsonFrame(`{"kind":"emit","cmd":"tick","data":${nestedJson(1200)}}`));
      sock.write(rawJsonFrame('{"kind":"emit","cmd":"tick","data":[1,'));
      raw.write(sock, { kind: 'emit', cmd: 'tick', data: nested(3) });
    }
    await until(() => nodeTicks.length === 1 && python.lines.includes('tick 3'), 10_000, 'the good message after the bad ones');
    expect(nodeTicks).toEqual([3]);
    expect(nodeErrors).toEqual([ErrorCode.NESTING_TOO_DEEP, ErrorCode.BAD_MESSAGE]);
    expect(python.lines).toEqual(['connected', `error ${ErrorCode.NESTING_TOO_DEEP}`, `error ${ErrorCode.BAD_MESSAGE}`, 'tick 3']);
    // Nobody dropped the connection and came back.
    expect(raw.sockets.length).toBe(2);
    expect(raw.sockets.every((sock) => !sock.destroyed)).toBe(true);
  });

  it(`the server refuses a message nested over ${MAX_NESTING_DEPTH} levels (NESTING_TOO_DEEP) and relays none; bystanders in Node and Python are untouched`, async () => {
    const socket = tempSocket();
    cleanups.push(socket.cleanup);
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }).start();
    await server.ready;
    cleanups.push(() => server.close());
    const disconnected: string[] = [];
    server.on('client-disconnected', ({ name }) => disconnected.push(name));
    const nodeTicks: number[] = [];
    const node = new IpcClient({ socketPath: socket.socketPath, name: 'node', logger: quiet }, { tick: ({ data }) => void nodeTicks.push(depthOf(data)) });
    await node.connect().ready;
    cleanups.push(() => node.close());
    const python = await PythonClient.start(socket.socketPath, 'python');
    cleanups.push(() => python.stop());

    const attackers = 20;
    for (let i = 0; i < attackers; i += 1) {
      const attacker = await RawPeer.connect(socket.socketPath);
      attacker.send({ kind: 'hello', version: 1, name: `attacker-${i}` });
      await attacker.waitFor('welcome');
      attacker.writeBytes(rawJsonFrame(`{"kind":"broadcast","cmd":"tick","data":${nestedJson(1200)}}`));
      const error = await attacker.waitFor('error');
      expect(error).toMatchObject({ fatal: true, error: { code: ErrorCode.NESTING_TOO_DEEP } });
      await attacker.waitClosed();
    }
    // The deepest message allowed (data at level 2, so 127 more levels) reaches both; one level more is refused locally.
    node.broadcast('tick', nested(MAX_NESTING_DEPTH - 1));
    const nodeErrors: IpcError[] = [];
    node.on('error', (error) => nodeErrors.push(error));
    node.broadcast('tick', nested(MAX_NESTING_DEPTH));
    await until(() => nodeErrors.length === 1, 5_000, 'the local refusal');
    expect(nodeErrors[0]?.code).toBe(ErrorCode.NESTING_TOO_DEEP);
    await until(() => python.lines.includes(`tick ${MAX_NESTING_DEPTH - 1}`), 10_000, 'the deepest allowed broadcast');
    let answered = 0;
    for (let i = 0; i < 20; i += 1) if ((await node.requestFrom('python', 'whoami')) === 'python') answered += 1;
    reportFigures('deep nesting', { attackers, pythonRequestsAnswered: `${answered}/20`, bystanderDisconnects: disconnected.filter((n) => !n.startsWith('attacker')).length });
    expect(answered).toBe(20);
    expect(python.lines.filter((l) => l.startsWith('tick'))).toEqual([`tick ${MAX_NESTING_DEPTH - 1}`]);
    expect(python.lines.filter((l) => l.startsWith('error'))).toEqual([]);
    expect(disconnected.filter((name) => !name.startsWith('attacker'))).toEqual([]);
    expect(node.connected).toBe(true);
  });

  it("a browser page's port (WebSocketPort with onUndecodable, as connectIpcio opens it) skips an undecodable message and keeps its connection", async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.send(rawJsonFrame(`{"kind":"emit","cmd":"tick","data":${nestedJson(1200)}}`));
      ws.send(rawJsonFrame('{"kind":"emit","cmd":"tick","data":[1,'));
      ws.send(frameBytes({ kind: 'emit', cmd: 'tick', data: nested(3) }).bytes);
    });
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
    cleanups.push(() => ws.terminate());
    const skipped: string[] = [];
    const received: Message[] = [];
    let closed = false;
    // In the open event itself, as openWebSocketPort does: the server's messages may follow at once.
    await new Promise<void>((resolve) =>
      ws.once('open', () => {
        const port = new WebSocketPort(ws, { maxFrameSize: 1024 * 1024, onUndecodable: (error) => skipped.push(error.code) });
        port.attach({ onMessage: (message) => received.push(message), onClose: () => (closed = true) });
        resolve();
      }),
    );
    await until(() => received.length === 1, 5_000, 'the good message');
    expect(skipped).toEqual([ErrorCode.NESTING_TOO_DEEP, ErrorCode.BAD_MESSAGE]);
    expect(received).toEqual([{ kind: 'emit', cmd: 'tick', data: nested(3) }]);
    expect(closed).toBe(false);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });
});
