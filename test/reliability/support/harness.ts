import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `npm run soak` sets SOAK=1: the same suites, with iteration and client counts scaled up. */
export const SOAK = process.env.SOAK === '1';

/** The short figure for `npm test`, the long one for `npm run soak`. */
export function scale<T>(short: T, soak: T): T {
  return SOAK ? soak : short;
}

export const MiB = 1024 * 1024;

/**
 * Prints one figure line (the test output is where RELIABILITY.md's figures
 * come from) and, when RELIABILITY_REPORT names a file, appends it there as JSON.
 */
export function reportFigures(test: string, figures: Record<string, unknown>): void {
  const mode = SOAK ? 'soak' : 'short';
  const text = Object.entries(figures)
    .map(([key, value]) => `${key}=${typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(2) : String(value)}`)
    .join(' ');
  console.log(`[reliability:${mode}] ${test}: ${text}`);
  const file = process.env.RELIABILITY_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ mode, test, ...figures })}\n`);
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

export function mib(bytes: number): number {
  return Math.round((bytes / MiB) * 10) / 10;
}

export interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

const live = new Set<Child>();

/** A fixture script in its own process, driven over Node's IPC channel. */
export class Child {
  readonly events: ChildEvent[] = [];
  exitCode: number | null | undefined = undefined;
  signal: NodeJS.Signals | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly label: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: { id?: number; result?: unknown; error?: { code: string; message: string } } & ChildEvent) => {
      if (message.id !== undefined) {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.error) waiter?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }));
        else waiter?.resolve(message.result);
      } else {
        this.events.push(message);
      }
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        live.delete(this);
        for (const waiter of this.waiting.values()) waiter.reject(new Error(`${label} exited (code ${code}, signal ${signal})`));
        this.waiting.clear();
        resolve();
      }),
    );
    live.add(this);
  }

  /** Starts `fixtures/<script>` with `config` as its argument. */
  static start(script: string, config: object, options: { execArgv?: string[]; label?: string } = {}): Child {
    const path = fileURLToPath(new URL(`../fixtures/${script}`, import.meta.url));
    const child = fork(path, [JSON.stringify(config)], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: options.execArgv ?? [],
    });
    return new Child(options.label ?? script, child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    if (!this.alive) return Promise.reject(new Error(`${this.label} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  async waitFor(predicate: (event: ChildEvent) => boolean, timeoutMs = 10_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (!this.alive) throw new Error(`${this.label} exited while waiting; saw ${JSON.stringify(this.events.slice(-5))}`);
      if (Date.now() > deadline) throw new Error(`${this.label}: timed out waiting; saw ${JSON.stringify(this.events.slice(-5))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    return this.exited;
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Stops every child a suite started (afterAll / afterEach), so nothing outlives the tests. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

export interface ServerConfig {
  socketPath?: string;
  domain?: string;
  token?: string;
  maxFrameSize?: number;
  maxPendingWriteBytes?: number;
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxInFlightRequests?: number;
  reportConnections?: boolean;
}

export interface ClientsConfig {
  socketPath?: string;
  domain?: string;
  prefix: string;
  count: number;
  token?: string;
  reconnect?: false | { minMs: number; maxMs: number };
  requestTimeoutMs?: number;
  maxFrameSize?: number;
  queueLimit?: number;
  instrument?: boolean;
}

export async function startServer(config: ServerConfig, execArgv: string[] = []): Promise<Child> {
  const server = Child.start('rel-server.mjs', config, { execArgv, label: 'server' });
  const first = await server.waitFor((e) => e.event === 'ready' || e.event === 'start-failed', 15_000);
  if (first.event !== 'ready') throw new Error(`server did not start: ${JSON.stringify(first)}`);
  return server;
}

export interface StreamStats {
  first: number;
  last: number;
  count: number;
  violations: number;
  firstViolation: unknown;
}

export interface ServerStats {
  streams: Record<string, StreamStats>;
  disconnectReasons: Record<string, number>;
  errors: Record<string, number>;
  connected: number;
  everConnected: number;
  clients: number;
  badBlobs: number;
  ticksSent: number;
}

/** The "slow" handler's calls in a fixture process (its slowCalls op): started, and answered or aborted. */
export interface SlowCalls {
  started: number;
  settled: number;
}

export interface ServerMemory {
  rss: number;
  rssHwm: number;
  heapUsed: number;
  heapHwm: number;
  external: number;
  externalHwm: number;
}

export interface ClientSummary {
  name: string;
  sent: number;
  written: { port: number; first: number; last: number }[];
  disconnects: { nextSeq: number; code: string | null }[];
  connects: number;
  ticks: { count: number; first?: number; last: number; violations: number };
  requests: { ok: number; bad: number; byCode: Record<string, number> };
  pending: number;
  errors: Record<string, number>;
}
