import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, IpcClient, IpcServer } from '../../lib/node/index.js';
import { tempSocket } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';


describe('waiting for a peer by name', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  const clients: IpcClient[] = [];
  const client = (name: string): IpcClient => {
    const made = new IpcClient({ socketPath: socket.socketPath, name, logger: quiet }, { ping: () => 'pong' }).connect();
    clients.push(made);
    return made;
  };
  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }).start();
    await server.ready;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
    socket.cleanup();
  });

  it('server: resolves when the peer joins later, then a request to it succeeds', async () => {
    const waiting = server.waitForPeer('late', { timeoutMs: 20_000 });
    client('late');
    await waiting;
    expect(await server.request('late', 'ping')).toBe('pong');
  });

  it('server: resolves at once for a peer already connected', async () => {
    await client('early').ready;
    await expect(server.waitForPeer('early', { timeoutMs: 0 })).resolves.toBeUndefined();
  });

  it('server: rejects with TIMEOUT when nobody of that name joins, and CANCELLED on abort', async () => {
    await expect(server.waitForPeer('nobody', { timeoutMs: 10 })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    const controller = new AbortController();
    const waiting = server.waitForPeer('nobody', { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
    await expect(server.waitForPeer('nobody', { timeoutMs: -1 })).rejects.toMatchObject({ code: ErrorCode.INVALID_ARGUMENT });
  });

  it('client: waits through the server for another client, then reaches it', async () => {
    const asker = client('asker');
    await asker.ready;
    const waiting = asker.waitForPeer('helper', { timeoutMs: 20_000 });
    client('helper');
    await waiting;
    expect(await asker.requestFrom('helper', 'ping')).toBe('pong');
  });

  it('client: a wait that times out rejects with TIMEOUT, not HANDLER_ERROR; the server keeps serving', async () => {
    const asker = client('asker');
    await expect(asker.waitForPeer('nobody', { timeoutMs: 10 })).rejects.toMatchObject({ code: ErrorCode.TIMEOUT });
    await expect(asker.waitForPeer('asker', { timeoutMs: 0 })).resolves.toBeUndefined();
    expect((await asker.discover()).commands).not.toContain('ipcio:wait');
  });

  it('client: cancelling the wait ends it on the server too (no listener left behind)', async () => {
    const asker = client('asker');
    await asker.ready;
    const controller = new AbortController();
    const waiting = asker.waitForPeer('nobody', { timeoutMs: 600_000, signal: controller.signal });
    const listenerAdded = new Promise<void>((resolve) => {
      const check = (): void => (listenerCount(server) > 0 ? resolve() : void setImmediate(check));
      check();
    });
    await listenerAdded;
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.CANCELLED });
    await new Promise<void>((resolve) => {
      const check = (): void => (listenerCount(server) === 0 ? resolve() : void setImmediate(check));
      check();
    });
    expect(listenerCount(server)).toBe(0);
  });
});

/** How many 'client-connected' listeners the server holds: the waits in progress. */
function listenerCount(server: IpcServer): number {
  const events = (server as unknown as { events: { listeners?: Map<string, Set<unknown>> } }).events;
  return events.listeners?.get('client-connected')?.size ?? 0;
}
