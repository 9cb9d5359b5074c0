import { createServer } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer, type HandlerContainer } from '../../lib/node/index.js';
import { tempSocket } from '../support/temp-socket.js';
import { assertBuilt, runCli } from './cli-process.js';

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** discover, emit and request against a server in this process, each `ipcio` run a real child process. */
describe('ipcio one-shot commands', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let worker: IpcClient;
  const serverGot: unknown[] = [];
  const workerGot: unknown[] = [];
  const aborted: string[] = [];

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    socket = tempSocket();
    serverGot.length = 0;
    workerGot.length = 0;
    aborted.length = 0;
    server = new IpcServer(
      { socketPath: socket.socketPath, token: 'sesame', logger: quietLogger },
      {
        echo: ({ data }) => data,
        record: ({ data, client_name }) => void serverGot.push({ data, from: client_name }),
        fail: () => {
          throw Object.assign(new Error('disk on fire'), { code: 'E_FIRE' });
        },
        slow: ({ signal }) =>
          new Promise((resolve) =>
            signal.addEventListener('abort', () => {
              aborted.push((signal.reason as { code?: string }).code ?? 'unknown');
              resolve(null);
            }),
          ),
      },
    ).start();
    await server.ready;
    worker = new IpcClient(
      { socketPath: socket.socketPath, name: 'worker', token: 'sesame', logger: quietLogger },
      {
        hash: ({ data }: HandlerContainer<unknown>) => `hash:${JSON.stringify(data)}`,
        note: ({ data, client_name }) => void workerGot.push({ data, from: client_name }),
        // Goes away in the middle of a request: the requester must hear DISCONNECTED.
        vanish: () => {
          setTimeout(() => void worker.close(), 50);
          return new Promise(() => undefined);
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

  const cli = (...args: string[]) => runCli([...args, '--socket', socket.socketPath, '--token', 'sesame']);

  it('discover prints the clients and their commands as JSON', async () => {
    const { code, stdout } = await cli('discover');
    expect(code).toBe(0);
    const found = JSON.parse(stdout) as { clients: string[]; commands: string[]; peers: Record<string, string[]> };
    expect(found.clients).toContain('worker');
    expect(found.peers.worker).toEqual(['hash', 'note', 'vanish']);
    expect(found.commands).toEqual(expect.arrayContaining(['echo', 'fail']));
  });

  it('request prints the server handler result, bytes included', async () => {
    const { code, stdout, stderr } = await cli('request', 'echo', '{"text":"}{ \\f ż","raw":{"$bytes":"AP8K"}}');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ text: '}{ \f ż', raw: { $bytes: 'AP8K' } });
  });

  it('request --to asks a client, and reads its JSON from stdin with "-"', async () => {
    const { code, stdout } = await runCli(['request', '--to', 'worker', 'hash', '-', '--socket', socket.socketPath], {
      input: '{"n": [1, 2]}\n',
      env: { IPCIO_TOKEN: 'sesame' },
    });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toBe('hash:{"n":[1,2]}');
  });

  it('finds the socket in IPCIO_SOCKET', async () => {
    const { code, stdout } = await runCli(['request', 'echo', '7'], { env: { IPCIO_SOCKET: socket.socketPath, IPCIO_TOKEN: 'sesame' } });
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('7');
  });

  it('exits 3 with CODE: message on stderr when the handler throws', async () => {
    const { code, stdout, stderr } = await cli('request', 'fail');
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe('HANDLER_ERROR: disk on fire (remote code: E_FIRE)');
  });

  it('exits 3 for NO_HANDLER and NO_SUCH_CLIENT', async () => {
    const noHandler = await cli('request', 'nothing-here');
    expect(noHandler.code).toBe(3);
    expect(noHandler.stderr).toMatch(/^NO_HANDLER: /);
    const noClient = await cli('request', '--to', 'ghost', 'hash');
    expect(noClient.code).toBe(3);
    expect(noClient.stderr).toMatch(/^NO_SUCH_CLIENT: /);
  });

  it('exits 3 with DISCONNECTED when the target client goes away mid-request (our own connection is fine)', async () => {
    const { code, stderr } = await cli('request', '--to', 'worker', 'vanish');
    expect(code).toBe(3);
    expect(stderr).toMatch(/^DISCONNECTED: client "worker" disconnected/);
  });

  it('exits 4 on timeout, and the handler is cancelled', async () => {
    const started = Date.now();
    const { code, stderr } = await cli('request', 'slow', '--timeout', '300');
    expect(code).toBe(4);
    expect(stderr).toMatch(/^TIMEOUT: /);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect.poll(() => aborted).toHaveLength(1);
  });

  it('emit --to delivers to the named client', async () => {
    const { code } = await cli('emit', '--to', 'worker', 'note', '{"x":1}', '--name', 'scripter');
    expect(code).toBe(0);
    await expect.poll(() => workerGot).toEqual([{ data: { x: 1 }, from: 'scripter' }]);
  });

  it('emit without --to reaches the server handler; from stdin too', async () => {
    const { code } = await runCli(['emit', 'record', '-', '--socket', socket.socketPath, '--token', 'sesame', '--name', 'piped'], { input: '[true, null]' });
    expect(code).toBe(0);
    await expect.poll(() => serverGot).toEqual([{ data: [true, null], from: 'piped' }]);
  });

  it('emit exits 3 when the server cannot deliver it', async () => {
    const { code, stderr } = await cli('emit', '--to', 'ghost', 'note');
    expect(code).toBe(3);
    expect(stderr).toMatch(/^NO_SUCH_CLIENT: no client named "ghost"/);
  });

  it('exits 2 with SERVER_AUTH_FAILED for a wrong token (the server cannot prove it) and AUTH_FAILED for a missing one', async () => {
    const wrong = await runCli(['discover', '--socket', socket.socketPath, '--token', 'guess']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^SERVER_AUTH_FAILED: /);
    const missing = await runCli(['discover', '--socket', socket.socketPath]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^AUTH_FAILED: /);
  });

  it('exits 2 with NAME_TAKEN for a name in use', async () => {
    const { code, stderr } = await cli('discover', '--name', 'worker');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^NAME_TAKEN: /);
  });

  it('exits 1 for bad JSON, a missing command name or an unknown flag', async () => {
    const badJson = await cli('request', 'echo', '{nope');
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toMatch(/not valid JSON/);
    expect((await cli('request')).code).toBe(1);
    expect((await cli('request', 'echo', '--frobnicate')).code).toBe(1);
    expect((await runCli(['teleport'])).code).toBe(1);
  });
});

describe('ipcio without a server', () => {
  beforeAll(() => assertBuilt());

  it('exits 2 at once, naming the socket, instead of retrying', async () => {
    const socket = tempSocket();
    try {
      for (const command of [['discover'], ['request', 'x'], ['emit', 'x'], ['listen', '--name', 'n', 'x'], ['monitor']]) {
        const started = Date.now();
        const { code, stderr } = await runCli([...command, '--socket', socket.socketPath]);
        expect(code, command.join(' ')).toBe(2);
        expect(stderr).toContain(`DISCONNECTED: cannot reach an ipcio server at ${socket.socketPath}`);
        expect(Date.now() - started).toBeLessThan(5000);
      }
    } finally {
      socket.cleanup();
    }
  });

  it('takes an empty IPCIO_SOCKET as unset and falls back to the default domain', async () => {
    const socket = tempSocket();
    try {
      const { code, stderr } = await runCli(['discover'], { env: { IPCIO_SOCKET: '', IPCIO_TOKEN: '', XDG_RUNTIME_DIR: socket.dir } });
      expect(code).toBe(2);
      expect(stderr).toContain(`cannot reach an ipcio server at ${socket.dir}/ipcio/default.sock`);
    } finally {
      socket.cleanup();
    }
  });

  it('exits 2 after the handshake timeout when something listens but never welcomes', async () => {
    const socket = tempSocket();
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(socket.socketPath, resolve));
    try {
      const [discovered, monitored] = await Promise.all([
        runCli(['discover', '--socket', socket.socketPath]),
        runCli(['monitor', '--socket', socket.socketPath]),
      ]);
      expect(discovered.code).toBe(2);
      expect(discovered.stderr).toMatch(/^HANDSHAKE_TIMEOUT: no welcome/);
      expect(monitored.code).toBe(2);
      expect(monitored.stderr).toMatch(/^HANDSHAKE_TIMEOUT: no welcome/);
    } finally {
      silent.close();
      socket.cleanup();
    }
  });

  it('prints help for the tool and each command, exit 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Exit status:[\s\S]*4 {2}timeout/);
    for (const command of ['serve', 'discover', 'emit', 'broadcast', 'request', 'listen', 'monitor']) {
      const { code, stdout } = await runCli([command, '--help']);
      expect(code, command).toBe(0);
      expect(stdout).toContain(`Usage: ipcio ${command}`);
    }
  });
});
