import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AnyContract, Contract } from '../common/contract.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import { MAX_HELLO_FRAME_SIZE } from '../common/frame-codec.js';
import { OutboundBudget } from '../common/outbound-budget.js';
import { ServerCore, type ServerCoreOptions, type ServerHandlers } from '../common/server-core.js';
import { checkEncoding } from './encoding.js';
import { checkDomain, checkSocketPathLength, ensurePrivateDir, socketPathFor } from './socket-path.js';
import { SocketPort } from './socket-port.js';
import { Supervisor, type HelperOptions, type SupervisedHelper } from './supervisor.js';

export interface IpcServerOptions<C extends Contract = AnyContract> extends ServerCoreOptions<C> {
  /** Namespace of the socket; default "default". */
  domain?: string;
  /** Kept for the seed's sake; only UTF-8 is accepted. */
  encoding?: string;
  /** Listen here instead of the per-user directory (the directory checks are then skipped). */
  socketPath?: string;
  /** Bytes a client may leave unread before it is dropped with SLOW_CONSUMER (default: maxFrameSize + 16 MiB). */
  maxPendingWriteBytes?: number;
  /**
   * Bytes the server may hold for all its socket clients together, unread or not yet written (default
   * 256 MiB); a broadcast's bytes count once however many clients it goes to. Past it the clients
   * furthest behind are dropped with SLOW_CONSUMER until it holds less.
   */
  maxOutboundBytes?: number;
}

/** Default of `maxOutboundBytes`: four full-size frames (64 MiB each). */
export const DEFAULT_MAX_OUTBOUND_BYTES = 256 * 1024 * 1024;

const OWNER_ONLY_SOCKET_MODE = 0o600;
const SLOW_CONSUMER_MARGIN_BYTES = 16 * 1024 * 1024;

/** The ipcio server on a local socket: the seed's Server, with the router of ServerCore behind it. */
export class IpcServer<C extends Contract = AnyContract> extends ServerCore<C> {
  readonly domain: string;
  readonly socketPath: string;
  private readonly explicitPath: boolean;
  private readonly maxPendingWriteBytes: number;
  /** The server-wide cap on outbound bytes, shared by every socket port. */
  readonly outbound: OutboundBudget;
  private listener: Server | undefined;
  private supervisor: Supervisor | undefined;
  private listening = false;
  private settleReady!: { resolve: () => void; reject: (error: IpcError) => void };
  /** Settles when the first start() is listening; rejects with DOMAIN_IN_USE, SOCKET_PATH_TOO_LONG, UNSAFE_SOCKET_DIR, ... */
  readonly ready: Promise<void>;

  constructor(options: IpcServerOptions<C> = {}, handlers?: NoInfer<ServerHandlers<C>>) {
    super(options, handlers);
    checkEncoding(options.encoding);
    this.domain = options.domain ?? 'default';
    checkDomain(this.domain);
    this.explicitPath = options.socketPath !== undefined;
    this.socketPath = options.socketPath ?? socketPathFor(this.domain);
    checkSocketPathLength(this.socketPath);
    this.maxPendingWriteBytes = options.maxPendingWriteBytes ?? this.maxFrameSize + SLOW_CONSUMER_MARGIN_BYTES;
    this.outbound = new OutboundBudget(checkPositiveBytes(options.maxOutboundBytes ?? DEFAULT_MAX_OUTBOUND_BYTES, 'maxOutboundBytes'));
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // Awaiting `ready` is optional: a failure is also reported on the error event.
    this.ready.catch(() => undefined);
  }

  /** Starts listening; returns the server, as in the seed. Await `ready` to know it is listening. */
  start(): this {
    if (this.listener) throw new IpcError(ErrorCode.ALREADY_STARTED, `server for domain "${this.domain}" was already started`);
    const listener = createServer((socket) => this.onConnection(socket));
    this.listener = listener;
    this.serverHandle = listener;
    this.listen(listener).then(
      () => {
        this.listening = true;
        if (this.verbose) this.logger.info(`[ipcio ${this.name}] listening on ${this.socketPath}`);
        this.settleReady.resolve();
      },
      (error: unknown) => {
        const failure = error instanceof IpcError ? error : new IpcError(ErrorCode.LISTEN_FAILED, `cannot listen on ${this.socketPath}: ${(error as Error).message}`, { cause: error });
        this.listener = undefined;
        this.settleReady.reject(failure);
        this.reportError(failure);
      },
    );
    return this;
  }

  /** Starts a helper binary that connects back under `options.name` with its own token (see Supervisor). */
  spawn(command: string, args: readonly string[], options: HelperOptions): SupervisedHelper {
    this.supervisor ??= new Supervisor(this as unknown as IpcServer<AnyContract>, this.logger);
    return this.supervisor.spawn(command, args, options);
  }

  /** Stops the helpers it spawned, closes every connection and the socket, and removes the socket file. */
  override async close(): Promise<void> {
    // Helpers go first, while the server still answers: a helper may send its last words on SIGTERM.
    await this.supervisor?.close();
    await super.close();
    const listener = this.listener;
    if (!listener) return;
    this.listener = undefined;
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    if (this.listening && process.platform !== 'win32') removeIfPresent(this.socketPath);
    this.listening = false;
  }

  private onConnection(socket: Socket): void {
    // Until its hello is accepted a peer is unauthenticated: its first frame may be a hello's size, no more.
    this.accept(new SocketPort(socket, { maxFrameSize: this.maxFrameSize, maxFirstFrameSize: MAX_HELLO_FRAME_SIZE, maxPendingWriteBytes: this.maxPendingWriteBytes, budget: this.outbound }));
  }

  private async listen(listener: Server): Promise<void> {
    if (process.platform !== 'win32' && !this.explicitPath) ensurePrivateDir(dirname(this.socketPath));
    try {
      await listenOn(listener, this.socketPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // A socket file is there. Servers starting at the same moment take turns (a lock beside it), so
      // that one replaces a crashed server's file and the others then find it live, not unlink it in turn.
      const unlock = process.platform === 'win32' ? () => undefined : await lockBeside(this.socketPath);
      try {
        // A live server answers on it; a crashed one's file does not.
        if (await answers(this.socketPath)) throw domainInUse(this.socketPath);
        removeIfPresent(this.socketPath);
        await listenOn(listener, this.socketPath).catch((again: NodeJS.ErrnoException) => {
          // Someone bound the free path in the moment it was free: that server is live.
          throw again.code === 'EADDRINUSE' ? domainInUse(this.socketPath) : again;
        });
      } finally {
        unlock();
      }
    }
    if (process.platform !== 'win32') chmodSync(this.socketPath, OWNER_ONLY_SOCKET_MODE);
  }
}

function listenOn(listener: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    listener.once('error', onError);
    listener.listen(path, () => {
      listener.off('error', onError);
      resolve();
    });
  });
}

function domainInUse(path: string): IpcError {
  return new IpcError(ErrorCode.DOMAIN_IN_USE, `a live ipcio server already listens on ${path}`);
}

/**
 * True unless the socket file is certainly dead: only "connection refused" (no listener) or a vanished
 * file say so. EAGAIN means a live server's listen backlog is full; it must not be taken over.
 */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'));
  });
}

/** A lock older than this was left by a starter that died holding it (taking over takes milliseconds). */
const STALE_LOCK_MS = 2000;

/** Takes `<path>.lock` (an atomic mkdir), waiting while another starter holds it; returns the release. */
async function lockBeside(path: string): Promise<() => void> {
  const lock = `${path}.lock`;
  for (;;) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      return () => {
        try {
          rmdirSync(lock);
        } catch {
          // Already gone; or not ours to remove, and then the next starter finds it stale.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let age = 0;
    try {
      age = Date.now() - statSync(lock).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    if (age > STALE_LOCK_MS) {
      try {
        rmdirSync(lock);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') throw new IpcError(ErrorCode.LISTEN_FAILED, `cannot remove the stale lock ${lock}: ${code}`, { cause: error });
      }
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function checkPositiveBytes(value: number, what: string): number {
  if (typeof value !== 'number' || !(value > 0)) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, `${what} must be a number of bytes above 0 (Infinity for no limit); got ${String(value)}`);
  }
  return value;
}
