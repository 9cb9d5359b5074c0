import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { MessagePortPort } from '../../../lib/common/message-port-port.js';
import type { PeerPolicy } from '../../../lib/common/peer.js';
import type { IpcServer } from '../../../lib/node/server.js';

const SCRIPT = fileURLToPath(new URL('../fixtures/renderer-worker.mjs', import.meta.url));

export interface WorkerEvent {
  event: string;
  [key: string]: unknown;
}

export interface PageError {
  message: string;
  name: string;
  code?: string;
}

/**
 * A renderer window played by a worker thread (preload logic + page API in
 * the worker). `onPortRequest` is called when its preload asks main for a
 * port, as ipcRenderer.send('ipcio:connect') would.
 */
export class RendererWorker {
  readonly events: WorkerEvent[] = [];
  readonly exited: Promise<number>;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: PageError) => void }>();
  private readonly worker: Worker;

  constructor(
    name: string,
    onPortRequest: (worker: RendererWorker) => void,
    reconnect?: { minMs: number; maxMs: number },
  ) {
    this.worker = new Worker(SCRIPT, { workerData: { name, reconnect } });
    this.worker.on('message', (message: { type: string; id?: number; value?: unknown; error?: PageError } & WorkerEvent) => {
      if (message.type === 'ipc' && message.channel === 'ipcio:connect') onPortRequest(this);
      else if (message.type === 'event') this.events.push(message);
      else if (message.type === 'result') {
        const waiter = this.waiting.get(message.id as number);
        this.waiting.delete(message.id as number);
        if (message.error) waiter?.reject(message.error);
        else waiter?.resolve(message.value);
      }
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** Hands the preload a port, as main's `frame.postMessage('ipcio:port', null, [port])` does. */
  deliverPort(port: MessagePort): void {
    this.worker.postMessage({ type: 'port', port }, [port]);
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ type: 'call', id, op, args });
    });
  }

  /** Resolves with the first event (seen or future) that matches. */
  async waitFor(predicate: (event: WorkerEvent) => boolean, timeoutMs = 10_000): Promise<WorkerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for a worker event; saw ${JSON.stringify(this.events.slice(-10))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The renderer goes away at once (a crash, or its document unloading). */
  terminate(): Promise<number> {
    void this.worker.terminate();
    return this.exited;
  }
}

/**
 * A window joined the way attachWindow joins one: server.accept over one end
 * of a fresh channel (worker_threads' MessageChannel standing in for
 * MessageChannelMain), the other end to its preload.
 */
export function joinedWindow(server: IpcServer, name: string, policy: Omit<PeerPolicy, 'name' | 'trusted' | 'kind'> = {}): RendererWorker {
  return new RendererWorker(name, (worker) => {
    const { port1, port2 } = new MessageChannel();
    server.accept(new MessagePortPort(port1), { name, trusted: true, kind: 'window', ...policy });
    worker.deliverPort(port2);
  });
}

/** Calls `promise` expecting it to fail; returns the error the page saw. */
export async function pageError(promise: Promise<unknown>): Promise<PageError> {
  try {
    await promise;
  } catch (error) {
    return error as PageError;
  }
  throw new Error('expected the call to fail');
}
