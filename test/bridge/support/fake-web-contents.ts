import { EventEmitter } from 'node:events';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { MessagePortMain, WebContents } from 'electron';

/**
 * A stand-in for Electron's WebContents, because no Electron binary exists
 * here: an EventEmitter with `ipc` (the per-contents IpcMain), `mainFrame`
 * and `isDestroyed()`, which is all bridgeWindow touches. Frames record what
 * main posts to them.
 */
export class FakeFrame {
  readonly posted: { channel: string; ports: MessagePort[] }[] = [];
  onPost: (port: MessagePort) => void = () => undefined;
  destroyed = false;

  constructor(
    public origin: string,
    public url: string,
    readonly processId = 1,
    readonly routingId = 1,
  ) {}

  isDestroyed(): boolean {
    return this.destroyed;
  }

  postMessage(channel: string, _message: unknown, ports: MessagePort[] = []): void {
    this.posted.push({ channel, ports });
    const port = ports[0];
    if (port) this.onPost(port);
  }
}

/**
 * webContents.ipc: an EventEmitter for `on`, plus `handle` as Electron has it. `invoke` plays
 * ipcRenderer.invoke from `frame`, rejecting as Electron does when nothing handles the channel.
 */
export class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, (event: { senderFrame: FakeFrame | null }) => unknown>();

  handle(channel: string, handler: (event: { senderFrame: FakeFrame | null }) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  async invoke(channel: string, frame: FakeFrame | null): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`Error invoking remote method '${channel}': Error: No handler registered for '${channel}'`);
    return handler({ senderFrame: frame });
  }
}

export class FakeWebContents extends EventEmitter {
  readonly ipc = new FakeIpcMain();
  destroyed = false;

  constructor(public mainFrame: FakeFrame) {
    super();
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** The preload in `frame` calls ipcRenderer.send('ipcio:connect'). */
  requestPort(frame: FakeFrame = this.mainFrame): void {
    this.ipc.emit('ipcio:connect', { senderFrame: frame });
  }

  startNavigation(isMainFrame = true, isSameDocument = false): void {
    this.emit('did-start-navigation', { isMainFrame, isSameDocument, url: this.mainFrame.url, frame: this.mainFrame });
  }

  crash(): void {
    this.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
  }

  destroy(): void {
    this.destroyed = true;
    this.emit('destroyed');
  }

  /** Listener counts of everything bridgeWindow subscribes to. */
  listenerCounts(): Record<string, number> {
    return {
      connect: this.ipc.listenerCount('ipcio:connect'),
      attachedCheck: this.ipc.handlers.size,
      navigation: this.listenerCount('did-start-navigation'),
      gone: this.listenerCount('render-process-gone'),
      destroyed: this.listenerCount('destroyed'),
    };
  }

  asWebContents(): WebContents {
    return this as unknown as WebContents;
  }
}

/** worker_threads' MessageChannel in place of MessageChannelMain; keeps every main-side port for leak checks. */
export function recordingChannelFactory(): { create: () => { port1: MessagePortMain; port2: MessagePortMain }; mainSidePorts: MessagePort[] } {
  const mainSidePorts: MessagePort[] = [];
  return {
    mainSidePorts,
    create: () => {
      const channel = new MessageChannel();
      mainSidePorts.push(channel.port1);
      return channel as unknown as { port1: MessagePortMain; port2: MessagePortMain };
    },
  };
}
