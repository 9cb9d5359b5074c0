import { spawn } from 'node:child_process';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer, type HandlerContainer } from '../../lib/node/index.js';
import { deferred } from '../support/deferred.js';
import { tempSocket } from '../support/temp-socket.js';
import { assertBuilt, CLI, cleanEnv, runCli } from './cli-process.js';

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** `ipcio stream` as a real child process against a server and a producing client in this process. */
describe('ipcio stream', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let worker: IpcClient;
  let workerFinally: ReturnType<typeof deferred<{ yielded: number; cancelled: boolean }>>;

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    socket = tempSocket();
    workerFinally = deferred();
    server = new IpcServer(
      { socketPath: socket.socketPath, logger: quietLogger },
      {
        count: async function* ({ data }: HandlerContainer<{ n: number }>) {
          for (let i = 0; i < data.n; i += 1) yield { i, raw: new Uint8Array([i, 255]) };
        },
        stuck: async function* ({ signal }: HandlerContainer<undefined>) {
          yield 'one';
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        },
        broken: async function* () {
          yield 'first';
          throw Object.assign(new Error('sensor on fire'), { code: 'E_SENSOR' });
        },
      },
    ).start();
    await server.ready;
    worker = new IpcClient(
      { socketPath: socket.socketPath, name: 'worker', logger: quietLogger },
      {
        ticks: async function* ({ signal }: HandlerContainer<undefined>) {
          let yielded = 0;
          try {
            for (;;) {
              yielded += 1;
              yield yielded;
            }
          } finally {
            workerFinally.resolve({ yielded, cancelled: signal.aborted });
          }
        },
      },
    ).connect();
    await worker.ready;
  });

  afterEach(async () => {
    await worker.close();
    await server.close();
    socket.cleanup();
  });

  const cli = (...args: string[]) => runCli(['stream', ...args, '--socket', socket.socketPath]);

  it('prints one JSON line per item, bytes as {"$bytes"}, and exits 0 at the end', async () => {
    const { code, stdout, stderr } = await cli('count', '{"n":3}');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.split('\n')).toEqual(['{"i":0,"raw":{"$bytes":"AP8="}}', '{"i":1,"raw":{"$bytes":"Af8="}}', '{"i":2,"raw":{"$bytes":"Av8="}}', '']);
  });

  it('--to reads a client\'s stream; --max stops after N items and cancels the producer', async () => {
    const { code, stdout } = await cli('--to', 'worker', '--max', '4', '--window', '2', 'ticks');
    expect(code).toBe(0);
    expect(stdout).toBe('1\n2\n3\n4\n');
    const end = await workerFinally.promise;
    expect(end.cancelled).toBe(true);
    expect(end.yielded).toBeLessThanOrEqual(4 + 2 + 1);
  });

  it('a pipe reader going away (| head -n 2) cancels the producer', async () => {
    const command = `"${process.execPath}" "${CLI}" stream --to worker --window 4 ticks --socket "${socket.socketPath}" | head -n 2`;
    const child = spawn('sh', ['-c', command], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toBe('1\n2\n');
    expect((await workerFinally.promise).cancelled).toBe(true);
  });

  it('exits 3 with CODE: message for the producer\'s error (after the items before it), NO_HANDLER and NO_SUCH_CLIENT', async () => {
    const broken = await cli('broken');
    expect(broken.code).toBe(3);
    expect(broken.stdout).toBe('"first"\n');
    expect(broken.stderr.trim()).toBe('HANDLER_ERROR: sensor on fire (remote code: E_SENSOR)');
    const missing = await cli('nothing');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^NO_HANDLER: /);
    const ghost = await cli('--to', 'ghost', 'ticks');
    expect(ghost.code).toBe(3);
    expect(ghost.stderr).toMatch(/^NO_SUCH_CLIENT: /);
  });

  it('--idle-timeout: a producer that stops sending exits 4 with TIMEOUT, after the items it sent', async () => {
    const { code, stdout, stderr } = await cli('--idle-timeout', '200', 'stuck');
    expect(code).toBe(4);
    expect(stdout).toBe('"one"\n');
    expect(stderr).toMatch(/^TIMEOUT: /);
  });

  it('refuses a bad --window as a usage error (exit 1)', async () => {
    const { code, stderr } = await cli('--window', '0', 'count');
    expect(code).toBe(1);
    expect(stderr).toMatch(/--window must be a whole number from 1 to 1024/);
  });
});
