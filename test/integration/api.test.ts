import { Server as NetServer, Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client, IpcClient, IpcServer, Server, type HandlerContainer } from '../../lib/node/index.js';
import { tempSocket, until } from '../support/temp-socket.js';

function recordingLogger() {
  const lines: string[] = [];
  const log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  return { lines, logger: { debug: log, info: log, warn: log, error: log } };
}

describe('the seed API, kept and extended', () => {
  let socket: ReturnType<typeof tempSocket>;
  beforeEach(() => {
    socket = tempSocket();
  });
  afterEach(() => socket.cleanup());

  it('exports the seed names Server and Client for the same classes', () => {
    expect(Server).toBe(IpcServer);
    expect(Client).toBe(IpcClient);
  });

  it('gives handlers the seed container plus command, uuid and signal', async () => {
    const { logger } = recordingLogger();
    let seen: HandlerContainer<unknown> | undefined;
    const server = new IpcServer({ socketPath: socket.socketPath, logger }, { inspect: (c) => void (seen = c) }).start();
    await server.ready;
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'inspector', logger }).connect();
    await client.ready;
    await client.request('inspect', { x: 1 });
    expect(seen).toMatchObject({ data: { x: 1 }, client_name: 'inspector', command: 'inspect' });
    expect(seen?.uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(seen?.socket).toBeInstanceOf(Socket);
    expect(seen?.server).toBeInstanceOf(NetServer);
    expect(seen?.signal).toBeInstanceOf(AbortSignal);
    await client.close();
    await server.close();
  });

  it('names an unnamed client by its UUIDv4 without dashes', async () => {
    const { logger } = recordingLogger();
    const server = new IpcServer({ socketPath: socket.socketPath, logger }).start();
    await server.ready;
    const client = new IpcClient({ socketPath: socket.socketPath, logger }).connect();
    await client.ready;
    expect(client.name).toMatch(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/);
    expect(server.clients()).toEqual([client.name]);
    await client.close();
    await server.close();
  });

  it('refuses reserved command names, the internal prefix and second handlers at registration', () => {
    const server = new IpcServer({ socketPath: socket.socketPath });
    for (const name of ['handshake', 'discover', 'broadcast', 'emit', 'delivery', 'error', 'ipcio:anything']) {
      expect(() => server.addHandlers({ [name]: () => 1 })).toThrow(expect.objectContaining({ code: 'RESERVED_COMMAND' }));
    }
    server.addHandlers({ once: () => 1 });
    expect(() => server.addHandlers({ once: () => 2 })).toThrow(expect.objectContaining({ code: 'DUPLICATE_HANDLER' }));
    expect(() => new IpcClient({ socketPath: socket.socketPath }, { emit: () => 1 })).toThrow(expect.objectContaining({ code: 'RESERVED_COMMAND' }));
  });

  it('refuses an encoding other than UTF-8 at construction', () => {
    expect(() => new IpcServer({ socketPath: socket.socketPath, encoding: 'latin1' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new IpcClient({ socketPath: socket.socketPath, encoding: 'utf16le' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new IpcServer({ socketPath: socket.socketPath, encoding: 'utf8' })).not.toThrow();
  });

  it('throws ALREADY_STARTED on a second start() or connect()', async () => {
    const { logger } = recordingLogger();
    const server = new IpcServer({ socketPath: socket.socketPath, logger }).start();
    expect(() => server.start()).toThrow(expect.objectContaining({ code: 'ALREADY_STARTED' }));
    const client = new IpcClient({ socketPath: socket.socketPath, logger }).connect();
    expect(() => client.connect()).toThrow(expect.objectContaining({ code: 'ALREADY_STARTED' }));
    await client.close();
    await server.close();
  });

  it('logs one line per message, with its kind by name, when verbose', async () => {
    const { lines, logger } = recordingLogger();
    const server = new IpcServer({ socketPath: socket.socketPath, logger, verbose: true }, { ping: () => 'pong' }).start();
    await server.ready;
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'chatty', logger, verbose: true }).connect();
    await client.request('ping');
    for (const kind of ['hello', 'welcome', 'request ping #1', 'response #1']) {
      expect(lines.filter((line) => line.includes(`: ${kind}`)).length).toBeGreaterThanOrEqual(2); // once sent, once received
    }
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
    await client.close();
    await server.close();
  });

  it('reports lifecycle events through on/off, and logs an error event nobody listens to', async () => {
    const { lines, logger } = recordingLogger();
    const server = new IpcServer({ socketPath: socket.socketPath, logger }).start();
    await server.ready;
    const events: string[] = [];
    const onConnected = ({ name }: { name: string }) => events.push(`+${name}`);
    server.on('client-connected', onConnected);
    server.on('client-disconnected', ({ name }) => events.push(`-${name}`));
    const first = new IpcClient({ socketPath: socket.socketPath, name: 'one', logger }).connect();
    await first.ready;
    server.off('client-connected', onConnected);
    const second = new IpcClient({ socketPath: socket.socketPath, name: 'two', logger }).connect();
    await second.ready;
    await first.close();
    await until(() => events.includes('-one'), 10_000, 'the server to see "one" leave');
    expect(events).toEqual(['+one', '-one']);
    server.emit('nobody', 'x');
    expect(lines.some((line) => line.includes('NO_SUCH_CLIENT'))).toBe(true);
    await second.close();
    await server.close();
  });

  it('rejects the server own pending requests with CLOSED on close()', async () => {
    const { logger } = recordingLogger();
    const server = new IpcServer({ socketPath: socket.socketPath, logger }).start();
    await server.ready;
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'slowpoke', logger }, { wait: () => new Promise(() => undefined) }).connect();
    await client.ready;
    const pending = server.request('slowpoke', 'wait').catch((error: unknown) => error);
    await server.close();
    expect(await pending).toMatchObject({ code: 'CLOSED' });
    await expect(server.request('slowpoke', 'wait')).rejects.toMatchObject({ code: 'CLOSED' });
    await client.close();
  });

  it('announces handlers added after connecting, for discovery', async () => {
    const { logger } = recordingLogger();
    const server = new IpcServer({ socketPath: socket.socketPath, logger }).start();
    await server.ready;
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'late', logger }).connect();
    await client.ready;
    client.addHandlers({ added: () => 1 });
    // A round trip on the same connection: the server handles it after the announcement sent before it.
    await client.request('ipcio:discover');
    expect(server.discover().peers.late).toEqual(['added']);
    expect(await server.request('late', 'added')).toBe(1);
    await client.close();
    await server.close();
  });
});

describe('a client started by the supervisor', () => {
  it('reads IPCIO_SOCKET, IPCIO_NAME and IPCIO_TOKEN, and treats empty ones as unset', async () => {
    const socket = tempSocket();
    const saved = { ...process.env };
    try {
      const server = new IpcServer({ socketPath: socket.socketPath, token: 't0k', logger: recordingLogger().logger }).start();
      await server.ready;
      Object.assign(process.env, { IPCIO_SOCKET: socket.socketPath, IPCIO_NAME: 'from-env', IPCIO_TOKEN: 't0k' });
      const client = new IpcClient().connect();
      await client.ready;
      expect(server.clients()).toEqual(['from-env']);
      await client.close();
      Object.assign(process.env, { IPCIO_NAME: '', IPCIO_SOCKET: socket.socketPath });
      const unnamed = new IpcClient().connect();
      await unnamed.ready;
      expect(unnamed.name).toMatch(/^[0-9a-f]{32}$/);
      await unnamed.close();
      await server.close();
    } finally {
      for (const key of ['IPCIO_SOCKET', 'IPCIO_NAME', 'IPCIO_TOKEN']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      socket.cleanup();
    }
  });
});
