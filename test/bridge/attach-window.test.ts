import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebContents } from 'electron';
import { bridgeWindow } from '../../lib/electron-main/window-bridge.js';
import { IpcServer } from '../../lib/node/server.js';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { FakeFrame, FakeWebContents, recordingChannelFactory } from './support/fake-web-contents.js';
import { pageError, RendererWorker } from './support/renderer-worker.js';
import { quiet } from '../support/deferred.js';

const ORIGIN = 'app://main';
/** A reloaded page's old document is gone; its preload must not ask again while the test swaps workers. */
const NO_RECONNECT_DURING_TEST = { minMs: 60_000, maxMs: 60_000 };

/**
 * bridgeWindow's Electron wiring (webContents.ipc, did-start-navigation,
 * render-process-gone, destroyed, frame.postMessage) against a FAKE
 * webContents, because no Electron binary exists here; the ports are real
 * worker_threads MessageChannel ports standing in for MessageChannelMain,
 * and each document is a worker thread running the real preload logic.
 */
describe('attachWindow with a fake webContents (no Electron binary here) and worker_threads MessageChannel ports', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let contents: FakeWebContents;
  let page: RendererWorker | undefined;
  const warnings: string[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];

  /** Loads a new document in the window: a fresh worker whose preload asks main for a port. */
  function loadPage(reconnect?: { minMs: number; maxMs: number }): RendererWorker {
    const worker = new RendererWorker('name-from-the-preload', () => contents.requestPort(), reconnect);
    page = worker;
    cleanups.push(() => worker.terminate());
    return worker;
  }

  async function helper(name: string): Promise<PeerProcess> {
    const peer = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name });
    cleanups.push(() => peer.stop());
    await peer.call('ready');
    return peer;
  }

  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, name: 'main', logger: quiet }).start();
    await server.ready;
    contents = new FakeWebContents(new FakeFrame(ORIGIN, `${ORIGIN}/index.html`));
    contents.mainFrame.onPost = (port) => page?.deliverPort(port);
    warnings.length = 0;
  });

  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
    await server.close();
    socket.cleanup();
  });

  const logger = { warn: (text: string) => warnings.push(text) };

  it('reload keeps the name: a new port each time, pending requests fail DISCONNECTED, no listener or port leaks', async () => {
    const channels = recordingChannelFactory();
    const attached = bridgeWindow(server, contents.asWebContents(), { name: 'win', allow: '*', origins: [ORIGIN], logger }, channels.create);
    let win = loadPage(NO_RECONNECT_DURING_TEST);
    expect(await win.call('ready')).toBe('win');
    await win.call('handle', 'summary', 'echo');
    await win.call('handle', 'stall', 'hang');
    const hasher = await helper('hasher');
    const baseline = contents.listenerCounts();
    expect(baseline).toEqual({ connect: 1, attachedCheck: 1, navigation: 1, gone: 1, destroyed: 1 });

    for (let reload = 1; reload <= 3; reload += 1) {
      const pending = server.request('win', 'stall').catch((error: unknown) => error);
      const pendingFromHelper = hasher.call('requestFrom', 'win', 'stall').catch((error: unknown) => error);
      await until(() => win.events.filter((e) => e.event === 'handler-started').length === 2, 10_000, 'both requests to reach the page');
      contents.startNavigation();
      expect(server.clients()).not.toContain('win');
      expect(await pending).toMatchObject({ code: 'DISCONNECTED' });
      expect(await pendingFromHelper).toMatchObject({ code: 'DISCONNECTED' });
      await win.terminate();

      win = loadPage(NO_RECONNECT_DURING_TEST);
      expect(await win.call('ready')).toBe('win');
      await win.call('handle', 'summary', 'echo');
      await win.call('handle', 'stall', 'hang');
      expect(await hasher.call('requestFrom', 'win', 'summary', reload)).toMatchObject({ data: reload, from: 'hasher' });
      expect(contents.listenerCounts()).toEqual(baseline);
    }

    // One channel per load; only the newest main-side port still has listeners.
    const listeners = channels.mainSidePorts.map((port) => [port.listenerCount('message'), port.listenerCount('close')]);
    expect(listeners).toEqual([[0, 0], [0, 0], [0, 0], [1, 1]]);
    expect(contents.mainFrame.posted.map((p) => p.channel)).toEqual(['ipcio:port', 'ipcio:port', 'ipcio:port', 'ipcio:port']);
    // ...and the preload holds listeners only on the port it uses.
    expect(await win.call('portListeners')).toEqual([{ message: 1, close: 1 }]);

    attached.detach();
    expect(contents.listenerCounts()).toEqual({ connect: 0, attachedCheck: 0, navigation: 0, gone: 0, destroyed: 0 });
    expect(channels.mainSidePorts.map((port) => port.listenerCount('message'))).toEqual([0, 0, 0, 0]);
    expect(server.clients()).toEqual(['hasher']);
  });

  it('a navigation that does not replace the page (a download): the page reconnects under its name; its own pending request fails DISCONNECTED', async () => {
    bridgeWindow(server, { webContents: contents.asWebContents() }, { name: 'win', allow: '*', origins: [ORIGIN], logger }, recordingChannelFactory().create);
    const win = loadPage({ minMs: 20, maxMs: 100 });
    await win.call('ready');
    const hasher = await helper('hasher');
    const inFlight = pageError(win.call('requestFrom', 'hasher', 'slow', { ms: 60_000 }));
    await hasher.waitFor((e) => e.event === 'handler-started');
    contents.startNavigation();
    expect((await inFlight).message).toMatch(/^DISCONNECTED: /);
    await until(() => win.events.filter((e) => e.event === 'connect').length === 2, 5000, 'the page to reconnect');
    expect(server.clients().sort()).toEqual(['hasher', 'win']);
    expect(await win.call('requestFrom', 'hasher', 'double', 4)).toBe(8);
    // In-page navigations (pushState, anchors) and subframe navigations leave the port alone.
    contents.startNavigation(true, true);
    contents.startNavigation(false, false);
    expect(server.clients()).toContain('win');
  });

  it('gives a port only to the main frame, and only from an allowed origin', async () => {
    const channels = recordingChannelFactory();
    bridgeWindow(server, contents.asWebContents(), { name: 'win', allow: '*', origins: [ORIGIN], logger }, channels.create);
    const subframe = new FakeFrame(ORIGIN, `${ORIGIN}/frame.html`, 1, 2);
    contents.requestPort(subframe);
    contents.ipc.emit('ipcio:connect', { senderFrame: null });
    contents.mainFrame.origin = 'https://elsewhere.example';
    contents.requestPort();
    expect(channels.mainSidePorts).toHaveLength(0);
    expect(subframe.posted).toHaveLength(0);
    expect(contents.mainFrame.posted).toHaveLength(0);
    expect(warnings).toEqual([
      expect.stringMatching(/not the main frame/),
      expect.stringMatching(/sender frame is gone/),
      expect.stringMatching(/origin "https:\/\/elsewhere.example" is not allowed/),
    ]);
    // An origin predicate sees the URL too.
    contents.mainFrame.origin = 'http://localhost:5173';
    const other = new FakeWebContents(contents.mainFrame);
    bridgeWindow(server, other.asWebContents(), { name: 'dev', allow: '*', origins: (origin) => origin.startsWith('http://localhost:'), logger }, channels.create);
    other.requestPort();
    expect(channels.mainSidePorts).toHaveLength(1);
  });

  it('a crashed renderer frees the name; a destroyed window removes every listener', async () => {
    bridgeWindow(server, contents.asWebContents(), { name: 'win', allow: '*', origins: [ORIGIN], logger }, recordingChannelFactory().create);
    const win = loadPage(NO_RECONNECT_DURING_TEST);
    await win.call('ready');
    contents.crash();
    expect(server.clients()).toEqual([]);
    await win.terminate();
    loadPage(NO_RECONNECT_DURING_TEST);
    await page?.call('ready');
    expect(server.clients()).toEqual(['win']);
    contents.destroy();
    expect(server.clients()).toEqual([]);
    expect(contents.listenerCounts()).toEqual({ connect: 0, attachedCheck: 0, navigation: 0, gone: 0, destroyed: 0 });
  });

  it('once the server is closed, a port request detaches the window instead of handing out dead ports', async () => {
    const channels = recordingChannelFactory();
    bridgeWindow(server, contents.asWebContents(), { name: 'win', allow: '*', origins: [ORIGIN], logger }, channels.create);
    await server.close();
    contents.requestPort();
    expect(contents.mainFrame.posted).toHaveLength(0);
    expect(contents.listenerCounts()).toEqual({ connect: 0, attachedCheck: 0, navigation: 0, gone: 0, destroyed: 0 });
  });

  it('a window already destroyed is never attached', () => {
    contents.destroyed = true;
    bridgeWindow(server, contents as unknown as WebContents, { name: 'win', allow: '*', origins: [ORIGIN] }, recordingChannelFactory().create);
    expect(contents.listenerCounts()).toEqual({ connect: 0, attachedCheck: 0, navigation: 0, gone: 0, destroyed: 0 });
  });
});
