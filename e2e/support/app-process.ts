import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { socketPathFor } from '../../lib/node/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 8_000;

export interface BrowserModeApp {
  /** The page URL the app printed, token and WebSocket URL in its query. */
  url: string;
  origin: string;
  wsUrl: string;
  token: string;
  /** Everything the app printed so far (its own lines and its helpers'). */
  output: string[];
  /** The socket domain, which also names the file that keeps the port and token for the next start. */
  marker: string;
  port: number;
  /** The process this started: npm with viaNpm, else start.mjs itself. */
  pid: number;
  /** Resolves when that process has exited. */
  exited: Promise<void>;
  /** SIGTERM, then proof that no process of the app is left. */
  stop(): Promise<void>;
  /** Removes the file that keeps the port and token (after the last start on this domain). */
  forget(): void;
}

export interface StartOptions {
  /** The domain of an earlier start, to start the same app again (it takes back its port and token). */
  marker?: string;
  /** SIDECAR_CONSOLE_PORT; default 0 (a free port). */
  port?: number;
  /** Through `npm start` (npm, its sh, then start.mjs), as a person runs it; default start.mjs directly. */
  viaNpm?: boolean;
}

/**
 * Starts the app as `npm start` would in browser mode (built already, on a
 * free port, on a socket domain of its own), and stops it with SIGTERM.
 * Every process of this app carries a marker in its environment, so stop()
 * can prove that no helper outlived it.
 */
export async function startBrowserModeApp(options: StartOptions = {}): Promise<BrowserModeApp> {
  const marker = options.marker ?? `e2e-${process.pid}-${randomBytes(3).toString('hex')}`;
  const [command, args] = options.viaNpm ? ['npm', ['start', '--', '--browser', '--no-build']] : [process.execPath, ['scripts/start.mjs', '--browser', '--no-build']];
  const child = spawn(command as string, args as string[], {
    cwd: ROOT,
    env: { ...process.env, SIDECAR_CONSOLE_PORT: String(options.port ?? 0), SIDECAR_CONSOLE_DOMAIN: marker },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app printed no URL within ${STARTUP_TIMEOUT_MS} ms:\n${output.join('\n')}`)), STARTUP_TIMEOUT_MS);
    const onLine = (line: string): void => {
      output.push(line);
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/\?\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    };
    collectLines(child, onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code} before printing its URL:\n${output.join('\n')}`));
    });
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    wsUrl: parsed.searchParams.get('ws') as string,
    token: parsed.searchParams.get('token') as string,
    output,
    marker,
    port: Number(parsed.port),
    pid: child.pid as number,
    exited: new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve()))),
    stop: () => stopApp(child, marker),
    forget: () => rmSync(`${socketPathFor(marker).replace(/\.sock$/, '')}.browser-mode.json`, { force: true }),
  };
}

async function stopApp(child: ChildProcess, marker: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  const left = processesWithMarker(marker);
  if (left.length > 0) {
    for (const pid of left) process.kill(pid, 'SIGKILL');
    throw new Error(`processes outlived the app: ${left.join(', ')} (killed now)`);
  }
}

/** Pids whose environment holds SIDECAR_CONSOLE_DOMAIN=<marker>: the app and every helper it started. Linux only (/proc). */
export function processesWithMarker(marker: string): number[] {
  if (!existsSync('/proc/self/environ')) return [];
  const needle = `SIDECAR_CONSOLE_DOMAIN=${marker}\0`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${entry}/environ`, 'latin1')}\0`.includes(needle)) {
        // A zombie still has /proc/<pid> until its parent reaps it; it runs nothing.
        if (!/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${entry}/stat`, 'latin1'))) found.push(Number(entry));
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

function collectLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
}
