import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built tool, run as a user would: `node dist/cli/main.js`. Tests need `npm run build` first. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SOURCE = fileURLToPath(new URL('../../lib/cli/main.ts', import.meta.url));

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" before these tests`);
  if (statSync(SOURCE).mtimeMs > statSync(CLI).mtimeMs) console.warn(`[cli tests] ${CLI} is older than its source: run "npm run build"`);
}

/** The environment minus the IPCIO_* variables of whoever runs the tests, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['IPCIO_SOCKET', 'IPCIO_TOKEN', 'IPCIO_NAME']) delete env[key];
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command to its end; `input` is written to its stdin. */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A hung command must fail the test, not the whole run.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ipcio ${args.join(' ')} did not exit within ${options.timeoutMs ?? 15_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running command (serve, listen, monitor) with its output collected as it comes. */
export class RunningCli {
  stdout = '';
  stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  readonly child: ChildProcess;

  /** Complete stdout lines, each parsed as JSON. */
  jsonLines(): unknown[] {
    return this.stdout.split('\n').filter((line) => line.length > 0).map((line) => JSON.parse(line) as unknown);
  }

  async waitForStderr(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await this.waitFor(() => pattern.test(this.stderr), timeoutMs, `stderr matching ${pattern}`);
  }

  async waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) before ${what}; stderr: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stdout: ${this.stdout}; stderr: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Sends `signal` (if still running) and resolves with the exit status; SIGKILL after 5 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}
