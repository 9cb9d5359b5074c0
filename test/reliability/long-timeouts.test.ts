import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../lib/common/errors.js';
import { MAX_TIMER_DELAY_MS, setLongTimeout } from '../../lib/common/long-timer.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { assertBuilt, runCli } from '../cli/cli-process.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';


describe('timeouts of 2^31 ms and more never fire early (issue 11, item 7)', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let client: IpcClient;
  let release: (() => void) | undefined;

  beforeAll(() => assertBuilt());
  beforeEach(async () => {
    release = undefined;
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }, {
      // Answers when the test says so: a timeout that fires early rejects first.
      held: () => new Promise((resolve) => (release = () => resolve('answered'))),
      ping: () => 'pong',
    }).start();
    await server.ready;
    client = new IpcClient({ socketPath: socket.socketPath, logger: quiet });
    await client.connect();
  });
  afterEach(async () => {
    await client.close();
    await server.close();
    socket.cleanup();
  });

  for (const timeoutMs of [2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY]) {
    it(`a request with timeoutMs ${timeoutMs} waits for its answer (client to server, server to client)`, async () => {
      const outcome = client.request('held', undefined, { timeoutMs }).then((value) => value, (error: { code: string }) => error.code);
      // A round trip after the held request: a 1 ms timer would have fired by the time it returns.
      expect(await client.request('ping')).toBe('pong');
      // Not a window to see nothing happen: timers fire in order of expiry, and this 20 ms one is set after
      // the request's, so any timer the request set to fire early (Node makes a delay past 2^31-1 one of
      // 1 ms) has fired before it, however loaded the machine.
      await new Promise((resolve) => setTimeout(resolve, 20));
      release?.();
      expect(await outcome).toBe('answered');
    });
  }

  it('NaN and negative timeouts are refused with INVALID_ARGUMENT, and the connection serves on', async () => {
    await expect(client.request('ping', undefined, { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    await expect(client.request('ping', undefined, { timeoutMs: -1 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
    expect(await client.request('ping')).toBe('pong');
  });

  it('ipcio request --timeout 2147483648 waits for the answer (it used to give up after 1 ms)', async () => {
    const run = runCli(['request', '--socket', socket.socketPath, '--timeout', '2147483648', 'held']);
    // The CLI's request reaches the handler; then let it answer.
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (release) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    release?.();
    const result = await run;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('"answered"');
  });
});

describe('handshake timeouts of 2^31 ms and more (issue 11, item 7)', () => {
  it('a server with handshakeTimeoutMs 2^31 (or Infinity) still waits for the hello; NaN is INVALID_ARGUMENT', async () => {
    for (const handshakeTimeoutMs of [2 ** 31, Number.POSITIVE_INFINITY]) {
      const socket = tempSocket();
      const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet, handshakeTimeoutMs }).start();
      await server.ready;
      try {
        const peer = await RawPeer.connect(socket.socketPath);
        // A round trip of another client first: a 1 ms timer would have closed the silent peer by then.
        const other = new IpcClient({ socketPath: socket.socketPath, logger: quiet, handshakeTimeoutMs });
        await other.connect().ready;
        await other.close();
        // Timer order, not a time window: this 20 ms timer is set after the peer's handshake timer, so a
        // handshake timer cut to 1 ms (Node's fallback past 2^31-1) has fired before it, under any load.
        await new Promise((resolve) => setTimeout(resolve, 20));
        peer.send({ kind: 'hello', version: 1, name: 'late' });
        await peer.waitFor('welcome');
        expect(peer.received.filter((m) => m.kind === 'error')).toEqual([]);
        peer.socket.destroy();
      } finally {
        await server.close();
        socket.cleanup();
      }
    }
    expect(() => new IpcServer({ socketPath: '/tmp/unused.sock', logger: quiet, handshakeTimeoutMs: Number.NaN })).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENT }) as Error);
  });
});

describe('setLongTimeout chains timers past 2^31 - 1 ms (fake clock: 25 days cannot be waited for)', () => {
  afterEach(() => void vi.useRealTimers());

  it('fires once, at the deadline and not before', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const start = Date.now();
    const delayMs = 3 * MAX_TIMER_DELAY_MS + 7;
    setLongTimeout(() => fired.push(Date.now() - start), delayMs);
    vi.advanceTimersByTime(delayMs - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([delayMs]);
    vi.advanceTimersByTime(10 * MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([delayMs]);
  });

  it('Infinity never fires; clear() stops a chained timer', () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    setLongTimeout(() => fired.push('infinity'), Number.POSITIVE_INFINITY);
    const cleared = setLongTimeout(() => fired.push('cleared'), 2 * MAX_TIMER_DELAY_MS);
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 5);
    cleared.clear();
    vi.advanceTimersByTime(100 * MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([]);
  });
});
