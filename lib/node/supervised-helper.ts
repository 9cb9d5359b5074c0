import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { backoffDelayMs, type ReconnectOptions } from '../common/backoff.js';
import type { AnyContract, RequestOptions } from '../common/contract.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import { logSafe } from '../common/log-text.js';
import { setLongTimeout, type LongTimer } from '../common/long-timer.js';
import type { Logger } from '../common/logger.js';
import type { PeerInfo } from '../common/server-core.js';
import { HelperOutbox } from './helper-outbox.js';
import { DEFAULT_MAX_OUTPUT_LINE_BYTES, readBoundedLines, type OutputLine } from './output-lines.js';
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
  /** Longest output line logged whole, in bytes (default 16 KiB); a longer one is cut and the cut logged. */
  maxOutputLineBytes?: number;
}

/**
 * The file descriptor, in every supervised helper, of the read end of a pipe
 * whose write end only main holds: it reads end-of-file when main is gone,
 * however it died (kill -9 included). Its number is in IPCIO_PARENT_FD.
 */
export const PARENT_LIFELINE_FD = 3;

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
  private restartTimer: LongTimer | undefined;
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
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.options.env,
      IPCIO_SOCKET: this.server.socketPath,
      IPCIO_NAME: this.name,
      IPCIO_TOKEN: token,
      IPCIO_PARENT_FD: String(PARENT_LIFELINE_FD),
    };
    // Inside Electron, process.execPath is Electron itself: without this it would open an app, not run the script.
    if (this.command === process.execPath && process.versions.electron !== undefined) env.ELECTRON_RUN_AS_NODE = '1';
    const child = spawn(this.command, [...this.args], {
      env,
      cwd: this.options.cwd,
      // fd 3: the lifeline (see PARENT_LIFELINE_FD). Main never writes to it; it only has to stay open.
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      // Its own process group, so stopping it reaches the processes it started too.
      detached: process.platform !== 'win32',
    });
    this.child = child;
    this.startedAtMs = Date.now();
    const maxLineBytes = this.options.maxOutputLineBytes ?? DEFAULT_MAX_OUTPUT_LINE_BYTES;
    if (child.stdout) readBoundedLines(child.stdout, maxLineBytes, (line) => this.logOutput(line, maxLineBytes, 'info'));
    if (child.stderr) readBoundedLines(child.stderr, maxLineBytes, (line) => this.logOutput(line, maxLineBytes, 'warn'));
    // Main's end of the lifeline must not keep main's event loop alive.
    const lifeline = child.stdio[PARENT_LIFELINE_FD] as (NodeJS.ReadableStream & { unref?: () => void; on(event: 'error', listener: () => void): unknown }) | null;
    lifeline?.on('error', () => undefined);
    lifeline?.unref?.();
    // A failed spawn (ENOENT) emits 'error' and maybe no 'exit'; either ends this run.
    child.once('error', (error) => this.onGone(child, `could not run: ${error.message}`));
    child.once('exit', (code, signal) => this.onGone(child, signal ? `was killed by ${signal}` : `exited with code ${code}`));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.restartTimer?.clear();
    this.outbox.failAll(new IpcError(ErrorCode.CLOSED, `helper "${this.name}" was stopped`));
    this.server.reserveName(this.name, undefined);
    this.server.off('client-connected', this.onConnected);
    this.server.off('client-disconnected', this.onDisconnected);
    const child = this.child;
    if (child) {
      const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
      const graceMs = this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
      const deadlineMs = Date.now() + graceMs;
      signalGroup(child, 'SIGTERM');
      const killTimer = setLongTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
      await exited;
      killTimer.clear();
      // The helper is gone; what it started gets the rest of the grace period, then SIGKILL.
      while (groupAlive(child) && Date.now() < deadlineMs) await new Promise((resolve) => setTimeout(resolve, GROUP_POLL_MS));
      signalGroup(child, 'SIGKILL');
    }
    this.onStopped();
  }

  /** The parent is exiting: no time for a grace period, only for the signal. */
  killNow(): void {
    this.stopping = true;
    if (this.child) signalGroup(this.child, 'SIGTERM');
  }

  private logOutput(line: OutputLine, maxLineBytes: number, level: 'info' | 'warn'): void {
    // Escaped (one log line per output line, no terminal sequences), never cut further: the line is bounded already.
    const unbounded = Number.POSITIVE_INFINITY;
    if (line.kind === 'line') this.logger[level](`[${this.name}] ${logSafe(line.text, unbounded)}`);
    else if (line.kind === 'cut') this.logger[level](`[${this.name}] ${logSafe(line.text, unbounded)}… [cut at ${maxLineBytes} bytes]`);
    else this.logger.warn(`[ipcio] helper "${this.name}" wrote a line of ${line.lineBytes} bytes; logged its first ${maxLineBytes}, dropped the rest`);
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
    this.restartTimer = setLongTimeout(() => void this.restartWhenNameFree(), delayMs);
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

const GROUP_POLL_MS = 20;

/** Signals the helper's whole process group (it leads one: spawned detached), else the helper alone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // ESRCH: nobody left in the group.
  }
}

function groupAlive(child: ChildProcess): boolean {
  if (child.pid === undefined || process.platform === 'win32') return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}
