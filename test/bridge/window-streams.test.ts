import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HandlerContainer } from '../../lib/common/contract.js';
import { IpcServer } from '../../lib/node/server.js';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { joinedWindow, type RendererWorker } from './support/renderer-worker.js';
import { quiet } from '../support/deferred.js';


/**
 * A window's streams across the preload boundary: worker threads play
 * renderers (the real preload endpoint, the real page API and the page's
 * AsyncIterable from ipcio/renderer), worker_threads' MessageChannel stands in
 * for MessageChannelMain, helpers are real processes on the real socket.
 */
describe('streams in a window (preload pull functions, page AsyncIterable)', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  const serverFinally: { yielded: number; aborted: boolean }[] = [];
  const started: { stop(): Promise<unknown> }[] = [];

  function windowPeer(name: string): RendererWorker {
    const worker = joinedWindow(server, name);
    started.push({ stop: () => worker.terminate() });
    return worker;
  }

  async function helper(name: string): Promise<PeerProcess> {
    const peer = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name });
    started.push(peer);
    await peer.call('ready');
    return peer;
  }

  beforeEach(async () => {
    socket = tempSocket();
    serverFinally.length = 0;
    server = new IpcServer(
      { socketPath: socket.socketPath, name: 'main', logger: quiet },
      {
        count: async function* ({ data, signal }: HandlerContainer<{ n?: number } | undefined>) {
          let yielded = 0;
          try {
            for (let i = 0; i < (data?.n ?? Infinity); i += 1) {
              yielded = i + 1;
              yield i;
            }
          } finally {
            serverFinally.push({ yielded, aborted: signal.aborted });
          }
        },
      },
    ).start();
    await server.ready;
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((peer) => peer.stop()));
    await server.close();
    socket.cleanup();
  });

  it('the page reads main\'s stream and a helper\'s, in order; break cancels the helper\'s producer', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    const hasher = await helper('hasher');
    expect(await win.call('streamCollect', null, 'count', { n: 30 }, { window: 4 })).toEqual([...Array(30).keys()]);
    expect(await win.call('streamCollect', 'hasher', 'count', { n: 30 }, { window: 2 })).toEqual([...Array(30).keys()]);
    expect(await win.call('streamCollect', 'hasher', 'count', undefined, { window: 2, max: 5 })).toEqual([0, 1, 2, 3, 4]);
    const ended = await hasher.waitFor((e) => e.event === 'producer-finally' && e.aborted === true);
    expect(ended.yielded as number).toBeLessThanOrEqual(5 + 2 + 1);
    expect(await win.call('openStreams')).toBe(0);
  });

  it('a producer\'s error reaches the page as an IpcError with its code and remote code; NO_SUCH_CLIENT likewise', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    await helper('hasher');
    await win.call('streamStart', 'boom', 'hasher', 'boom');
    expect(await win.waitFor((e) => e.event === 'stream-ended' && e.key === 'boom')).toMatchObject({
      count: 1,
      code: 'HANDLER_ERROR',
      remoteCode: 'E_FIXTURE',
      isIpcError: true,
    });
    await win.call('streamStart', 'ghost', 'ghost', 'count');
    expect(await win.waitFor((e) => e.event === 'stream-ended' && e.key === 'ghost')).toMatchObject({ count: 0, code: 'NO_SUCH_CLIENT' });
  });

  it('the page\'s AbortSignal cancels: the loop throws CANCELLED and main\'s producer stops', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    await win.call('streamStart', 'aborting', null, 'count', undefined, { window: 2, abortAfter: 3 });
    expect(await win.waitFor((e) => e.event === 'stream-ended' && e.key === 'aborting')).toMatchObject({ code: 'CANCELLED' });
    await until(() => serverFinally.length === 1);
    expect(serverFinally[0]).toMatchObject({ aborted: true });
  });

  it('pagehide (reload, navigation) ends every stream of the page at once, on both sides', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    const hasher = await helper('hasher');
    await win.call('streamStart', 'routed', 'hasher', 'count', undefined, { window: 2 });
    await win.call('streamStart', 'direct', null, 'count', undefined, { window: 2 });
    await win.waitFor((e) => e.event === 'stream-item' && e.key === 'routed');
    await win.waitFor((e) => e.event === 'stream-item' && e.key === 'direct');
    await win.call('pagehide');
    await win.waitFor((e) => e.event === 'stream-ended' && e.key === 'routed');
    await win.waitFor((e) => e.event === 'stream-ended' && e.key === 'direct');
    expect(await win.call('openStreams')).toBe(0);
    expect(await hasher.waitFor((e) => e.event === 'producer-finally')).toMatchObject({ aborted: true });
    await until(() => serverFinally.length === 1);
    expect(server.connection('win')?.streams.size).toBe(0);
  });

  it('the renderer going away mid-stream (crash, navigation closing its port) aborts the producers', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    const hasher = await helper('hasher');
    await win.call('streamStart', 'routed', 'hasher', 'count', undefined, { window: 2 });
    await win.call('streamStart', 'direct', null, 'count', undefined, { window: 2 });
    await win.waitFor((e) => e.event === 'stream-item' && e.key === 'routed');
    await win.waitFor((e) => e.event === 'stream-item' && e.key === 'direct');
    await win.terminate();
    expect(await hasher.waitFor((e) => e.event === 'producer-finally')).toMatchObject({ aborted: true });
    await until(() => serverFinally.length === 1);
    expect(serverFinally[0]).toMatchObject({ aborted: true });
  });

  it('a page holds at most its bound of streams (TOO_MANY_STREAMS), and a finished one frees its place', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    for (const key of ['a', 'b', 'c', 'd']) await win.call('streamStart', key, null, 'count', undefined, { window: 1 });
    await win.call('streamStart', 'fifth', null, 'count');
    expect(await win.waitFor((e) => e.event === 'stream-ended' && e.key === 'fifth')).toMatchObject({ code: 'TOO_MANY_STREAMS' });
    await win.call('pagehide');
    expect(await win.call('streamCollect', null, 'count', { n: 2 })).toEqual([0, 1]);
  });
});
