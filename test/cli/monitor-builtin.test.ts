import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MessageKind, MONITOR_COMMAND, PROTOCOL_VERSION, type Message } from '../../lib/common/messages.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** The `ipcio:monitor` built-in that `ipcio monitor` relies on, at the protocol level. */
describe('the ipcio:monitor built-in', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let alpha: IpcClient;
  let beta: IpcClient;
  let watcher: RawPeer;

  const summaries = (): unknown[] =>
    watcher.received.filter((m): m is Extract<Message, { kind: 'emit' }> => m.kind === MessageKind.Emit && m.cmd === MONITOR_COMMAND).map((m) => m.data);

  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, logger: quietLogger }, { ping: () => 'pong' }).start();
    await server.ready;
    alpha = new IpcClient({ socketPath: socket.socketPath, name: 'alpha', logger: quietLogger }).connect();
    beta = new IpcClient({ socketPath: socket.socketPath, name: 'beta', logger: quietLogger }, { echo: ({ data }) => data }).connect();
    await Promise.all([alpha.ready, beta.ready]);
    watcher = await RawPeer.connect(socket.socketPath);
    watcher.send({ kind: MessageKind.Hello, version: PROTOCOL_VERSION, name: 'watcher' });
    await watcher.waitFor(MessageKind.Welcome);
  });

  afterEach(async () => {
    watcher.destroy();
    await Promise.all([alpha.close(), beta.close()]);
    await server.close();
    socket.cleanup();
  });

  it('sends nothing before it is asked, then a payload-free summary of every message others send', async () => {
    await alpha.request('ping');
    expect(summaries()).toEqual([]);
    watcher.send({ kind: MessageKind.Request, id: 9, cmd: MONITOR_COMMAND });
    expect(await watcher.waitFor(MessageKind.Response)).toMatchObject({ id: 9, data: null });
    expect(await alpha.requestFrom('beta', 'echo', { secret: 'hidden' })).toEqual({ secret: 'hidden' });
    alpha.broadcast('tick', 1);
    alpha.emit('ping');
    await until(() => summaries().length >= 4, 5000, 'four summaries');
    expect(summaries()).toEqual([
      { from: 'alpha', to: 'beta', kind: 'request', cmd: 'echo', id: expect.any(Number) },
      { from: 'beta', kind: 'response', id: expect.any(Number) },
      { from: 'alpha', kind: 'broadcast', cmd: 'tick' },
      { from: 'alpha', kind: 'emit', cmd: 'ping' },
    ]);
    expect(JSON.stringify(watcher.received)).not.toContain('hidden');
  });

  it('stops when the monitor disconnects, and the server keeps routing', async () => {
    watcher.send({ kind: MessageKind.Request, id: 1, cmd: MONITOR_COMMAND });
    await watcher.waitFor(MessageKind.Response);
    watcher.destroy();
    await until(() => !server.clients().includes('watcher'), 5000, 'the watcher to be gone');
    expect(await alpha.requestFrom('beta', 'echo', 2)).toBe(2);
  });
});
