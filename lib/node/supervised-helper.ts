import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { backoffDelayMs, type ReconnectOptions } from '../common/backoff.js';
import type { AnyContract, RequestOptions } from '../common/contract.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { PeerInfo } from '../common/server-core.js';
import { HelperOutbox } from './helper-outbox.js';
import type { IpcServer } from './server.js';

export interface HelperOptions {
  /** The helper's client name; it connects under it with its own token. */
  name: string;
  /** Restart after it dies, waiting between minMs and maxMs (backoff with jitter); default false. */
  restart?: Partial<ReconnectOptions> | boolean;
  /** Added to the parent's environment (IPCIO_SOCKET, IPCIO_NAME and IPCIO_TOKEN are set last). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Gets the helper's stdout lines (info) and stderr lines (warn), prefixed with its name. */
  logger?: Logger;
  /** After SIGTERM, how long to wait before SIGKILL (default 3000 ms). */
  killGraceMs?: number;
  /** Messages held for the helper while it is down (default 1000). */
  queueLimit?: number;
}

/** A helper process as main sees it. */
export interface SupervisedHelper {
  readonly name: string;
  /** The running process's pid; undefined between a crash and its restart. */
  readonly pid: number | undefined;
  /** How many times it was restarted. */
  readonly restarts: number;
  /** Emits to the helper; held while it is down and sent when it is back. */
  emit(command: string, data?: unknown): void;
  /** Requests from the helper; held while it is down, the timeout counting from the call. */
  request(command: string, data?: unknown, options?: RequestOptions): Promise<unknown>;
  /** SIGTERM, then SIGKILL after the grace period; resolves when it exited. No restart follows. */
  stop(): Promise<void>;
}

export const DEFAULT_RESTART: ReconnectOptions = { minMs: 200, maxMs: 30_000 };
const DEFAULT_KILL_GRACE_MS = 3000;
const DEFAULT_HELD_MESSAGES = 1000;

/**
 * One helper process: started with its socket, name and a fresh token in its
 * environment, its output logged line by line, restarted with backoff when it
 * dies (if asked), and stopped with SIGTERM then SIGKILL.
 */
export class HelperProcess implements SupervisedHelper {
  restarts = 0;
  private child: ChildProcess | undefined;
  private stopping = false;
  private attempt = 0;
  private startedAtMs = 0;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private exitWaiters: (() => void)[] = [];
  private readonly restart: ReconnectOptions | false;
  private readonly outbox: HelperOutbox;
  private readonly onConnected = (peer: PeerInfo): void => {
    if (peer.name === this.name) this.outbox.open();
  };
  private readonly onDisconnected = (peer: PeerInfo): void => {
    if (peer.name === this.name) this.outbox.close();
  };

  constructor(
    private readonly server: IpcServer<AnyContract>,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly options: HelperOptions,
    private readonly logger: Logger,
    private readonly onStopped: () => void,
  ) {
    const { restart } = options;
    this.restart = restart === undefined || restart === false ? false : { ...DEFAULT_RESTART, ...(restart === true ? {} : restart) };
    this.outbox = new HelperOutbox(options.name, options.queueLimit ?? DEFAULT_HELD_MESSAGES, logger);
    this.server.on('client-connected', this.onConnected);
    this.server.on('client-disconnected', this.onDisconnected);
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  emit(command: string, data?: unknown): void {
    this.outbox.emit(() => void this.server.emit(this.name, command, data));
  }

  request(command: string, data?: unknown, options?: RequestOptions): Promise<unknown> {
    return this.outbox.request((left) => this.server.request(this.name, command, data, left), options);
  }

  start(): void {
    // A fresh token per start: a process from an earlier start cannot come back under the name.
    const token = randomBytes(32).toString('hex');
    this.server.reserveName(this.name, token);
    const env = { ...process.env, ...this.options.env, IPCIO_SOCKET: this.server.socketPath, IPCIO_NAME: this.name, IPCIO_TOKEN: token };
    const child = spawn(this.command, [...this.args], { env, cwd: this.options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.startedAtMs = Date.now();
    logLines(child.stdout, (line) => this.logger.info(`[${this.name}] ${line}`));
    logLines(child.stderr, (line) => this.logger.warn(`[${this.name}] ${line}`));
    // A failed spawn (ENOENT) emits 'error' and maybe no 'exit'; either ends this run.
    child.once('error', (error) => this.onGone(child, `could not run: ${error.message}`));
    child.once('exit', (code, signal) => this.onGone(child, signal ? `was killed by ${signal}` : `exited with code ${code}`));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.outbox.failAll(new IpcError(ErrorCode.CLOSED, `helper "${this.name}" was stopped`));
    this.server.reserveName(this.name, undefined);
    this.server.off('client-connected', this.onConnected);
    this.server.off('client-disconnected', this.onDisconnected);
    const child = this.child;
    if (child) {
      const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      await exited;
      clearTimeout(killTimer);
    }
    this.onStopped();
  }

  /** The parent is exiting: no time for a grace period, only for the signal. */
  killNow(): void {
    this.stopping = true;
    this.child?.kill('SIGTERM');
  }

  private onGone(child: ChildProcess, what: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const resolve of this.exitWaiters.splice(0)) resolve();
    if (this.stopping) return;
    if (this.restart === false) {
      this.logger.warn(`[ipcio] helper "${this.name}" ${what}`);
      return;
    }
    // A run longer than the longest delay counts as healthy: the next crash starts the backoff over.
    if (Date.now() - this.startedAtMs > this.restart.maxMs) this.attempt = 0;
    const delayMs = backoffDelayMs(this.attempt, this.restart);
    this.attempt += 1;
    this.logger.warn(`[ipcio] helper "${this.name}" ${what}; restarting in ${delayMs} ms`);
    this.restartTimer = setTimeout(() => void this.restartWhenNameFree(), delayMs);
  }

  /** The dead process's connection may not be noticed yet; a new one under the name would get NAME_TAKEN. */
  private async restartWhenNameFree(): Promise<void> {
    if (this.server.clients().includes(this.name)) {
      await new Promise<void>((resolve) => {
        const onGone = (peer: PeerInfo): void => {
          if (peer.name !== this.name) return;
          this.server.off('client-disconnected', onGone);
          resolve();
        };
        this.server.on('client-disconnected', onGone);
      });
    }
    if (this.stopping) return;
    this.restarts += 1;
    this.start();
  }
}

function logLines(stream: Readable | null, write: (line: string) => void): void {
  if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', write);
}
