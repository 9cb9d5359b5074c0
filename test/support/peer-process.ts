import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/peer-process.mjs', import.meta.url));

export interface PeerConfig {
  role: 'server' | 'client';
  /** Omit to use `domain` in the per-user directory (the child inherits XDG_RUNTIME_DIR). */
  socketPath?: string;
  domain?: string;
  name?: string;
  token?: string;
  serverName?: string;
  maxFrameSize?: number;
  requestTimeoutMs?: number;
  reconnect?: false | { minMs: number; maxMs: number };
  autoConnect?: boolean;
}

export interface PeerEvent {
  event: string;
  [key: string]: unknown;
}

export interface RemoteError {
  code: string;
  message: string;
  remoteCode?: string;
}

/** An ipcio server or client running in a real child process, driven over Node's IPC channel. */
export class PeerProcess {
  readonly events: PeerEvent[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: RemoteError) => void }>();
  private readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: { id?: number; result?: unknown; error?: RemoteError } & PeerEvent) => {
      if (message.id !== undefined) {
        const waiter = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        if (message.error) waiter?.reject(message.error);
        else waiter?.resolve(message.result);
      } else {
        this.events.push(message);
      }
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(config: PeerConfig): PeerProcess {
    const child = fork(FIXTURE, [JSON.stringify(config)], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new PeerProcess(child);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  /** Resolves with the first event (already seen or future) that matches. */
  async waitFor(predicate: (event: PeerEvent) => boolean, timeoutMs = 10_000): Promise<PeerEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for an event; saw: ${JSON.stringify(this.events.slice(-10))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  eventsNamed(name: string): PeerEvent[] {
    return this.events.filter((e) => e.event === name);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** process.kill(pid, 0) succeeds for a zombie too; one that exited but was not reaped yet is not running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true;
  }
}
