import { IpcError, IpcServer, type HandlerContainer } from '../../lib/node/index.js';
import { tempSocket } from '../support/temp-socket.js';
import { fromTagged, toTagged } from './tags.js';

export interface ServerSettings {
  token?: string;
  maxFrameSize?: number;
}

/** What a driver or the server answers one step with. */
export type Reply = { ok: true; result?: unknown } | { error: { code: string; message: string; remoteCode?: string } };

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The reference server every scenario runs against, with the handlers
 * docs/CONFORMANCE.md lists. It records what its handlers receive so steps
 * can check what clients sent.
 */
export class ScenarioServer {
  readonly received: { command: string; from: string; data: unknown }[] = [];
  readonly finished: { command: string; from: string; yielded: number; cancelled: boolean }[] = [];
  private constructor(
    readonly server: IpcServer,
    private readonly socket: ReturnType<typeof tempSocket>,
  ) {}

  static async start(settings: ServerSettings = {}): Promise<ScenarioServer> {
    const socket = tempSocket();
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quietLogger, ...settings });
    const scenario = new ScenarioServer(server, socket);
    const record = (c: HandlerContainer) => void scenario.received.push({ command: c.command, from: c.client_name, data: toTagged(c.data) });
    server.addHandlers({
      echo: (c) => (record(c), c.data),
      record: (c) => record(c),
      fail: (c) => {
        record(c);
        throw Object.assign(new Error('boom'), { code: 'E_BOOM' });
      },
      // Answers only when the requester gives up: a request to it can only time out.
      never: ({ signal }) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(null))),
      big: ({ data }) => 'x'.repeat(Number(data)),
      // A stream: 0, 1, ... (data.n of them, or forever); its finally records how far it got.
      count: async function* ({ command, client_name, data, signal }: HandlerContainer<{ n?: number } | undefined>) {
        let yielded = 0;
        try {
          for (let i = 0; i < (data?.n ?? Infinity); i += 1) {
            yielded = i + 1;
            yield i;
          }
        } finally {
          scenario.finished.push({ command, from: client_name, yielded, cancelled: signal.aborted });
        }
      },
    });
    server.start();
    await server.ready;
    return scenario;
  }

  get socketPath(): string {
    return this.socket.socketPath;
  }

  /** Runs a step whose actor is "server". */
  async run(op: string, args: Record<string, unknown>): Promise<Reply> {
    const data = fromTagged(args.data);
    try {
      switch (op) {
        case 'emit':
          this.server.emit(String(args.to), String(args.cmd), data);
          return { ok: true };
        case 'broadcast':
          this.server.broadcast(String(args.cmd), data);
          return { ok: true };
        case 'request': {
          const options = typeof args.timeoutMs === 'number' ? { timeoutMs: args.timeoutMs } : undefined;
          return { ok: true, result: toTagged(await this.server.request(String(args.to), String(args.cmd), data, options)) };
        }
        case 'stream': {
          const options = typeof args.window === 'number' ? { window: args.window } : undefined;
          const items: unknown[] = [];
          for await (const item of this.server.stream(String(args.to), String(args.cmd), data, options)) {
            items.push(toTagged(item));
            if (items.length >= (typeof args.max === 'number' ? args.max : Infinity)) break;
          }
          return { ok: true, result: { items } };
        }
        case 'finished':
          return { ok: true, result: [...this.finished] };
        case 'received':
          return { ok: true, result: [...this.received] };
        case 'clients':
          return { ok: true, result: this.server.clients().sort() };
        default:
          throw new Error(`the server actor has no op "${op}"`);
      }
    } catch (error) {
      if (!(error instanceof IpcError)) throw error;
      return { error: { code: error.code, message: error.message, ...(error.remoteCode === undefined ? {} : { remoteCode: error.remoteCode }) } };
    }
  }

  async close(): Promise<void> {
    await this.server.close();
    this.socket.cleanup();
  }
}
