import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PeerPolicy } from '../../lib/common/peer.js';
import { allowPolicy } from '../../lib/electron-main/allow.js';
import { IpcServer } from '../../lib/node/server.js';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { joinedWindow, pageError, type RendererWorker } from './support/renderer-worker.js';
import { quiet } from '../support/deferred.js';


/**
 * Windows joined the way attachWindow joins them (server.accept over one end
 * of a fresh channel, the other end to the preload), with worker_threads'
 * MessageChannel standing in for MessageChannelMain and worker threads playing
 * renderers. Helpers are real child processes on the real socket.
 */
describe('worker_threads MessageChannel standing in for MessageChannelMain: windows and helpers as peers of one server', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  const started: { stop(): Promise<unknown> }[] = [];

  function windowPeer(name: string, policy: Omit<PeerPolicy, 'name' | 'trusted' | 'kind'> = {}): RendererWorker {
    const worker = joinedWindow(server, name, policy);
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
    server = new IpcServer({ socketPath: socket.socketPath, name: 'main', logger: quiet }, { ping: () => 'pong' }).start();
    await server.ready;
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((peer) => peer.stop()));
    await server.close();
    socket.cleanup();
  });

  it('gives the page one frozen object of functions only', async () => {
    const win = windowPeer('win');
    expect(await win.call('ready')).toBe('win');
    expect(await win.call('shape')).toEqual({
      keys: ['broadcast', 'discover', 'emit', 'emitTo', 'handle', 'on', 'request', 'requestFrom', 'streamCancel', 'streamOpen', 'streamPull', 'waitForPeer'],
      frozen: true,
      allFunctions: true,
    });
    expect(await win.call('request', 'ping')).toBe('pong');
  });

  it('the page waits for a helper by name, then reaches it; a wait nobody answers fails with TIMEOUT in the message', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    const waiting = win.call('waitForPeer', 'hasher', { timeoutMs: 20_000 });
    await helper('hasher');
    await waiting;
    expect(await win.call('discover')).toMatchObject({ clients: expect.arrayContaining(['win', 'hasher']) });
    const failed = await pageError(win.call('waitForPeer', 'nobody', { timeoutMs: 10 }));
    expect(failed.message).toMatch(/^TIMEOUT: no peer "nobody" joined within 10 ms/);
  });

  it('a helper process requests data from a window, and gets the page handler\'s error code back', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    await win.call('handle', 'summary', 'echo');
    await win.call('handle', 'broken', 'fail');
    const hasher = await helper('hasher');
    expect(await hasher.call('requestFrom', 'win', 'summary', { rows: 3 })).toEqual({ data: { rows: 3 }, from: 'hasher', command: 'summary' });
    await expect(hasher.call('requestFrom', 'win', 'broken')).rejects.toMatchObject({
      code: 'HANDLER_ERROR',
      remoteCode: 'E_PAGE',
      message: 'the page handler failed',
    });
    await expect(hasher.call('requestFrom', 'win', 'unknown')).rejects.toMatchObject({ code: 'NO_HANDLER' });
    expect((await server.discover()).peers.win).toEqual(['summary', 'broken']);
  });

  it('a window requests from a helper; bytes arrive as bytes, errors keep code and message in the text', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    await helper('hasher');
    expect(await win.call('requestFrom', 'hasher', 'double', 21)).toBe(42);
    const bytes = new Uint8Array([0, 1, 0x7d, 0x7b, 255]);
    const echoed = await win.call<{ data: { bytes: Uint8Array }; from: string }>('requestFrom', 'hasher', 'echo', { bytes });
    expect(echoed.from).toBe('win');
    expect(echoed.data.bytes).toBeInstanceOf(Uint8Array);
    expect([...echoed.data.bytes]).toEqual([...bytes]);
    const failed = await pageError(win.call('requestFrom', 'hasher', 'fail'));
    expect(failed.message).toBe('HANDLER_ERROR(E_FIXTURE): fixture handler failed on purpose');
    const missing = await pageError(win.call('requestFrom', 'nobody', 'double', 1));
    expect(missing.message).toMatch(/^NO_SUCH_CLIENT: /);
    const timedOut = await pageError(win.call('requestFrom', 'hasher', 'slow', { ms: 5000 }, { timeoutMs: 50 }));
    expect(timedOut.message).toMatch(/^TIMEOUT: /);
  });

  it('a page cancels through bridgeSignal (an AbortSignal itself cannot cross contextBridge); the helper\'s handler is aborted', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    const hasher = await helper('hasher');
    const cancelled = await pageError(win.call('requestFromAbortAfter', 'hasher', 'slow', { ms: 60_000 }, 50));
    expect(cancelled.message).toMatch(/^CANCELLED: /);
    await hasher.waitFor((e) => e.event === 'handler-aborted');
    const copied = await pageError(win.call('requestWithCopiedSignal', 'ping'));
    expect(copied.message).toMatch(/^INVALID_ARGUMENT: .*bridgeSignal/);
  });

  it('broadcast reaches windows and helpers alike; several listeners per command, each removable', async () => {
    const win = windowPeer('win');
    const other = windowPeer('other');
    await Promise.all([win.call('ready'), other.call('ready')]);
    const hasher = await helper('hasher');
    const first = await win.call<number>('on', 'tick');
    const second = await win.call<number>('on', 'tick');
    await other.call('on', 'tick');

    await hasher.call('broadcast', 'tick', 1);
    await win.waitFor((e) => e.event === 'on' && e.subscription === first && e.data === 1);
    await win.waitFor((e) => e.event === 'on' && e.subscription === second && e.data === 1);
    await other.waitFor((e) => e.event === 'on' && e.data === 1 && e.from === 'hasher');

    await win.call('broadcast', 'tick', 2);
    await hasher.waitFor((e) => e.event === 'received' && e.command === 'tick' && e.data === 2 && e.from === 'win');
    await other.waitFor((e) => e.event === 'on' && e.data === 2 && e.from === 'win');

    await win.call('unsubscribe', first);
    server.broadcast('tick', 3);
    await win.waitFor((e) => e.event === 'on' && e.subscription === second && e.data === 3);
    await hasher.waitFor((e) => e.event === 'received' && e.data === 3 && e.from === 'main');
    expect(win.events.some((e) => e.subscription === first && e.data === 3)).toBe(false);

    // The last unsubscribe removes the command from what the window announces.
    expect((await server.discover()).peers.win).toEqual(['tick']);
    await win.call('unsubscribe', second);
    await until(() => server.discover().peers.win?.length === 0, 5000, 'the window to drop "tick"');

    const seen = await win.call<{ clients: string[] }>('discover');
    expect(seen.clients.sort()).toEqual(['hasher', 'other', 'win']);
  });

  it('a window that goes away frees its name and its pending requests fail with DISCONNECTED', async () => {
    const win = windowPeer('win');
    await win.call('ready');
    await win.call('handle', 'stall', 'hang');
    const hasher = await helper('hasher');
    const fromHelper = hasher.call('requestFrom', 'win', 'stall').catch((error: unknown) => error);
    const fromMain = server.request('win', 'stall').catch((error: unknown) => error);
    // The window's own request, in flight at the helper, is cancelled there.
    void win.call('requestFrom', 'hasher', 'slow', { ms: 60_000 }).catch(() => undefined);
    await until(() => win.events.filter((e) => e.event === 'handler-started').length === 2, 10_000, 'both requests to reach the window');
    await hasher.waitFor((e) => e.event === 'handler-started');

    await win.terminate();
    expect(await fromHelper).toMatchObject({ code: 'DISCONNECTED' });
    expect(await fromMain).toMatchObject({ code: 'DISCONNECTED' });
    await hasher.waitFor((e) => e.event === 'handler-aborted');
    expect(server.clients()).toEqual(['hasher']);
    await expect(hasher.call('requestFrom', 'win', 'stall')).rejects.toMatchObject({ code: 'NO_SUCH_CLIENT' });
  });

  it('allow refuses everything outside the list with FORBIDDEN', async () => {
    const allow = allowPolicy({ server: ['ping'], clients: { hasher: ['double'] }, broadcasts: ['tick'] }, 'main');
    const win = windowPeer('win', { allow });
    await win.call('ready');
    const hasher = await helper('hasher');
    expect(await win.call('request', 'ping')).toBe('pong');
    expect(await win.call('requestFrom', 'hasher', 'double', 2)).toBe(4);
    expect((await pageError(win.call('requestFrom', 'hasher', 'echo', 1))).message).toMatch(/^FORBIDDEN: "win" may not request "echo"/);
    expect((await pageError(win.call('request', 'shutdown'))).message).toMatch(/^FORBIDDEN: /);
    await win.call('emitTo', 'hasher', 'record', 'sneaky');
    await win.waitFor((e) => e.event === 'error' && e.code === 'FORBIDDEN');
    await win.call('broadcast', 'tick', 'allowed');
    await hasher.waitFor((e) => e.event === 'received' && e.data === 'allowed');
    // A broadcast name is not a server command, nor the reverse.
    expect((await pageError(win.call('request', 'tick'))).message).toMatch(/^FORBIDDEN: "win" may not request "tick"/);
    win.events.length = 0;
    await win.call('broadcast', 'ping', 'not a broadcast');
    await win.waitFor((e) => e.event === 'error' && e.code === 'FORBIDDEN');
    expect(hasher.events.some((e) => e.data === 'sneaky')).toBe(false);
    // Discovery is always allowed.
    expect((await win.call<{ clients: string[] }>('discover')).clients.sort()).toEqual(['hasher', 'win']);
  });
});
