import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessagePort } from 'node:worker_threads';
import { ErrorCode } from '../../lib/common/errors.js';
import type { MessagePortLike } from '../../lib/common/message-port-port.js';
import { bridgeWindow } from '../../lib/electron-main/window-bridge.js';
import { createPreloadEndpoint, type IpcRendererLike } from '../../lib/electron-preload/preload-endpoint.js';
import { IpcServer } from '../../lib/node/server.js';
import { tempSocket } from '../support/temp-socket.js';
import { FakeFrame, FakeWebContents, recordingChannelFactory } from './support/fake-web-contents.js';
import { quiet } from '../support/deferred.js';


/**
 * The preload's ipcRenderer, wired to a FAKE webContents (no Electron binary here): invoke goes to
 * its handlers and rejects like Electron when there is none; send reaches its `ipc` listeners;
 * ports main posts to the frame come back on PORT_CHANNEL. The ports are real worker_threads ports.
 */
function fakeIpcRenderer(contents: FakeWebContents): IpcRendererLike {
  const listeners = new Map<string, (event: { ports: readonly MessagePortLike[] }) => void>();
  contents.mainFrame.onPost = (port: MessagePort) => listeners.get('ipcio:port')?.({ ports: [port as unknown as MessagePortLike] });
  return {
    send: (channel) => void contents.ipc.emit(channel, { senderFrame: contents.mainFrame }),
    invoke: (channel) => contents.ipc.invoke(channel, contents.mainFrame),
    on: (channel, listener) => listeners.set(channel, listener),
  };
}

describe('a window main never attached, or whose origin it refuses, fails at once with a code naming the cause', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }, { ping: () => 'pong' }).start();
    await server.ready;
  });
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
    await server.close();
    socket.cleanup();
  });

  function preloadIn(contents: FakeWebContents) {
    // No request timeout: a request that did not fail fast would hang and fail the test by its own timeout.
    const endpoint = createPreloadEndpoint(fakeIpcRenderer(contents), { requestTimeoutMs: 0, logger: quiet });
    closers.push(() => endpoint.close());
    return endpoint.connect();
  }

  it('never attached: NOT_ATTACHED, naming attachWindow', async () => {
    const contents = new FakeWebContents(new FakeFrame('file://', 'file:///app/index.html'));
    const endpoint = preloadIn(contents);
    const error = await endpoint.request('ping').catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: ErrorCode.NOT_ATTACHED, message: expect.stringContaining('attachWindow') });
    await expect(endpoint.ready).rejects.toMatchObject({ code: ErrorCode.NOT_ATTACHED });
  });

  it('attached, but the page shows another origin: ORIGIN_REFUSED, naming the origin', async () => {
    const contents = new FakeWebContents(new FakeFrame('https://evil.example', 'https://evil.example/'));
    bridgeWindow(server, contents.asWebContents(), { name: 'win', allow: '*', origins: ['file://'], logger: quiet }, recordingChannelFactory().create);
    const endpoint = preloadIn(contents);
    await expect(endpoint.request('ping')).rejects.toMatchObject({ code: ErrorCode.ORIGIN_REFUSED, message: expect.stringContaining('https://evil.example') });
  });

  it('attached and allowed: the check passes and the window is served; detached: NOT_ATTACHED again', async () => {
    const contents = new FakeWebContents(new FakeFrame('file://', 'file:///app/index.html'));
    const attached = bridgeWindow(server, contents.asWebContents(), { name: 'win', allow: '*', origins: ['file://'], logger: quiet }, recordingChannelFactory().create);
    const endpoint = preloadIn(contents);
    expect(await endpoint.request('ping')).toBe('pong');
    attached.detach();
    const late = preloadIn(contents);
    await expect(late.request('ping')).rejects.toMatchObject({ code: ErrorCode.NOT_ATTACHED });
  });
});
