import type { BrowserWindow, IpcMainEvent, IpcMainInvokeEvent, MessagePortMain, WebContents, WebFrameMain } from 'electron';
import { ATTACHED_CHANNEL, CONNECT_CHANNEL, PORT_CHANNEL, type AttachedAnswer } from '../common/bridge-channels.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { logSafe } from '../common/log-text.js';
import type { Logger } from '../common/logger.js';
import { MessagePortPort } from '../common/message-port-port.js';
import type { PeerPolicy } from '../common/peer.js';
import type { ServerCore } from '../common/server-core.js';
import type { IpcServer } from '../node/server.js';
import { allowPolicy, type AllowSpec } from './allow.js';

export interface WindowOptions<C extends Contract = AnyContract> {
  /** The window's name as every peer addresses it; it keeps it across reloads. */
  name: string;
  allow: AllowSpec<C>;
  /**
   * Origins whose pages may connect, compared with the main frame's `origin`
   * as Electron reports it ("https://app.example", "http://localhost:5173",
   * "file://"), or a function deciding from origin and URL.
   */
  origins: readonly string[] | ((origin: string, url: string) => boolean);
  /** Where refused connection attempts are reported (default console). */
  logger?: Pick<Logger, 'warn'>;
}

export interface AttachedWindow {
  readonly name: string;
  /** Stops serving the window and closes its port; its name is freed. */
  detach(): void;
}

/**
 * Any server, with its contract type. IpcServer is named beside ServerCore
 * because TypeScript infers C from a subclass only when the class itself
 * appears; from ServerCore alone it would fall back to an untyped contract
 * and stop checking `allow`.
 */
export type BridgeServer<C extends Contract> = IpcServer<C> | ServerCore<C>;

export type ChannelFactory = () => { port1: MessagePortMain; port2: MessagePortMain };

/**
 * Makes a window a named peer of `server`. The preload asks for a port on
 * CONNECT_CHANNEL; main answers only the window's main frame, only from an
 * allowed origin, with one end of a fresh channel, and keeps the other end as
 * the peer's port. A new request (a reload, or the preload reconnecting)
 * replaces the old port under the same name. A cross-document navigation of
 * the main frame, a crashed renderer or a destroyed window close it: the
 * router frees the name and fails the window's pending requests with
 * DISCONNECTED.
 *
 * A free function rather than a method of IpcServer: it needs nothing but
 * `accept()`, so the server stays free of Electron, and any ServerCore can
 * take windows. `createChannel` is MessageChannelMain in the app (see
 * ./index.ts); the tests pass worker_threads' MessageChannel.
 */
export function bridgeWindow<C extends Contract>(
  server: BridgeServer<C>,
  target: WebContents | Pick<BrowserWindow, 'webContents'>,
  options: NoInfer<WindowOptions<C>>,
  createChannel: ChannelFactory,
): AttachedWindow {
  const contents: WebContents = 'webContents' in target ? target.webContents : target;
  const policy: PeerPolicy = { name: options.name, trusted: true, kind: 'window', allow: allowPolicy(options.allow, server.name) };
  const originAllowed = typeof options.origins === 'function' ? options.origins : (origin: string) => (options.origins as readonly string[]).includes(origin);
  const logger = options.logger ?? console;
  let current: MessagePortPort | undefined;
  let detached = false;

  const refusalFor = (frame: WebFrameMain | null): string | undefined =>
    detached ? 'the window was detached' : whyRefused(frame, contents, originAllowed);

  const dropPort = (): void => {
    const port = current;
    current = undefined;
    port?.close();
  };

  const onConnect = (event: IpcMainEvent): void => {
    const frame = event.senderFrame;
    const refusal = refusalFor(frame);
    if (refusal !== undefined) {
      logger.warn(`[ipcio] window "${options.name}": refused a port request: ${logSafe(refusal)}`);
      return;
    }
    dropPort();
    const { port1, port2 } = createChannel();
    current = new MessagePortPort(port1);
    server.accept(current, policy);
    if (current.isClosed) {
      // The server is closed and refused it at once: stop answering rather than hand out dead ports forever.
      port2.close();
      detach();
      return;
    }
    (frame as WebFrameMain).postMessage(PORT_CHANNEL, null, [port2]);
  };

  // Answers the preload's check before it asks for a port, so a refused page fails at once, saying why.
  const onAttachedCheck = (event: IpcMainInvokeEvent): AttachedAnswer | null => {
    const refusal = refusalFor(event.senderFrame);
    if (refusal === undefined) return null;
    const code = refusal.startsWith('origin') ? 'ORIGIN_REFUSED' : 'NOT_ATTACHED';
    return { code, reason: `main refuses window "${options.name}": ${refusal}` };
  };

  // did-start-navigation rather than did-navigate: it always comes before the new document's preload asks for its port.
  const onNavigation = (details: { isMainFrame: boolean; isSameDocument: boolean }): void => {
    if (details.isMainFrame && !details.isSameDocument) dropPort();
  };

  const detach = (): void => {
    if (detached) return;
    detached = true;
    contents.ipc.off(CONNECT_CHANNEL, onConnect);
    contents.ipc.removeHandler(ATTACHED_CHANNEL);
    contents.off('did-start-navigation', onNavigation);
    contents.off('render-process-gone', dropPort);
    contents.off('destroyed', detach);
    dropPort();
  };

  if (contents.isDestroyed()) {
    detached = true;
  } else {
    contents.ipc.on(CONNECT_CHANNEL, onConnect);
    contents.ipc.handle(ATTACHED_CHANNEL, onAttachedCheck);
    contents.on('did-start-navigation', onNavigation);
    contents.on('render-process-gone', dropPort);
    contents.once('destroyed', detach);
  }
  return { name: options.name, detach };
}

/** Only the window's current main frame, showing an allowed origin, gets a port. */
function whyRefused(frame: WebFrameMain | null, contents: WebContents, originAllowed: (origin: string, url: string) => boolean): string | undefined {
  if (!frame || frame.isDestroyed()) return 'the sender frame is gone';
  const main = contents.mainFrame;
  // processId + routingId identify a frame; a subframe or a prerendered page differs from the current main frame.
  if (frame.processId !== main.processId || frame.routingId !== main.routingId) return `sender is not the main frame (${frame.url})`;
  if (!originAllowed(frame.origin, frame.url)) return `origin "${frame.origin}" is not allowed`;
  return undefined;
}
