import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Reply } from './scenario-server.js';

const REPLY_TIMEOUT_MS = 10_000;

/**
 * One driver process: JSON lines in on stdin, JSON lines out on stdout, each
 * reply carrying the id of its op. stderr is kept for failure reports.
 */
export class DriverSession {
  stderr = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(command: readonly string[], env: NodeJS.ProcessEnv) {
    const [program, ...args] = command as [string, ...string[]];
    this.child = spawn(program, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    this.child.on('error', (error) => (this.stderr += `\n[spawn failed: ${error.message}]`));
  }

  /** Sends one op and resolves with its reply; rejects if none comes in time or the driver dies. */
  send(op: Record<string, unknown>, timeoutMs = REPLY_TIMEOUT_MS): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`driver gave no reply to ${JSON.stringify(op).slice(0, 200)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      void this.exited.then((code) => {
        if (!this.waiting.delete(id)) return;
        clearTimeout(timer);
        reject(new Error(`driver exited (${code}) before replying to ${String(op.op)}`));
      });
      this.child.stdin?.write(`${JSON.stringify({ id, ...op })}\n`);
    });
  }

  /** SIGKILL: the client dies without closing its connection. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Asks the driver to close (if it is still running) and waits for it; kills it after 3 s. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      await this.send({ op: 'close' }, 3000).catch(() => undefined);
      this.child.stdin?.end();
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  private onLine(line: string): void {
    let reply: Reply & { id?: number };
    try {
      reply = JSON.parse(line) as Reply & { id?: number };
    } catch {
      this.stderr += `\n[driver wrote a non-JSON line to stdout: ${line}]`;
      return;
    }
    const waiter = reply.id === undefined ? undefined : this.waiting.get(reply.id);
    if (!waiter || reply.id === undefined) return;
    this.waiting.delete(reply.id);
    delete reply.id;
    waiter(reply);
  }
}
