import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { IpcServer } from '../../lib/node/server.js';
import { isRunning } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { mib, MiB, reportFigures, scale } from './support/harness.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const NODE_HELPER = fileURLToPath(new URL('../bridge/fixtures/supervised-helper.mjs', import.meta.url));
const PYTHON_HELPER = fileURLToPath(new URL('../bridge/fixtures/supervised_helper.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

function runToEnd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const sockets: ReturnType<typeof tempSocket>[] = [];
const pidsToReap: number[] = [];
afterEach(() => {
  for (const pid of pidsToReap.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
  for (const socket of sockets.splice(0)) socket.cleanup();
});

describe('supervised helpers cannot hurt main (issue 11, items 1 and 12)', () => {
  it("a helper writing hundreds of MiB without a newline: main logs a cut line and its memory stays bounded", async () => {
    const socket = tempSocket();
    sockets.push(socket);
    const floodMiB = scale(64, 600);
    // --expose-gc: the fixture collects before each sample, so the figure is memory main keeps, not garbage a busy machine has not collected yet.
    const { code, stdout, stderr } = await runToEnd(['--expose-gc', fixture('supervise-flood.mjs'), socket.socketPath, String(floodMiB)]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { baselineRss: number; peakRss: number; loggedChars: number; logged: string[] };
    const lineBytes = floodMiB * MiB;
    // The head of the line, marked as cut; then the note with the whole line's length; then the next line whole.
    expect(result.logged.some((line) => line.startsWith('[flood] xxxx') && line.endsWith('… [cut at 16384 bytes]'))).toBe(true);
    expect(result.logged).toContain(`[ipcio] helper "flood" wrote a line of ${lineBytes} bytes; logged its first 16384, dropped the rest`);
    expect(result.logged).toContain('[flood] after the flood');
    expect(result.loggedChars).toBeLessThan(64 * 1024);
    const growth = result.peakRss - result.baselineRss;
    reportFigures('helper output flood', { floodMiB, baselineMiB: mib(result.baselineRss), peakMiB: mib(result.peakRss), growthMiB: mib(growth), loggedChars: result.loggedChars });
    // Before the fix main grew with the line (620 MiB for 600 MiB) and died; the bound does not depend on the flood.
    expect(growth).toBeLessThan(48 * MiB);
  }, 600_000);

  it('stop() takes down the children of a helper that ignores SIGTERM (its whole process group)', async () => {
    const socket = tempSocket();
    sockets.push(socket);
    const lines: string[] = [];
    const log = (...args: unknown[]): void => void lines.push(args.join(' '));
    const server = new IpcServer({ socketPath: socket.socketPath, logger: { debug: log, info: log, warn: log, error: log } }).start();
    await server.ready;
    try {
      const helper = server.spawn(process.execPath, [fixture('helper-with-children.mjs')], { name: 'parent-of-two', killGraceMs: 300 });
      await until(() => lines.some((line) => line.startsWith('[parent-of-two] children ')), 10_000, 'the helper to start its children');
      const childPids = (lines.find((line) => line.startsWith('[parent-of-two] children ')) as string).split(' ').slice(2).map(Number);
      pidsToReap.push(...childPids);
      expect(childPids).toHaveLength(2);
      expect(childPids.every(isRunning)).toBe(true);
      await helper.stop();
      expect(lines).toContain('[parent-of-two] helper ignoring SIGTERM');
      // stop() resolves once the group got SIGKILL; the kernel may take a moment to reap.
      await until(() => !childPids.some(isRunning), 5_000, 'the children to be gone');
      expect(childPids.filter(isRunning)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!hasPython)('kill -9 of main: the Node and the Python helper notice through their lifeline and exit', async () => {
    const socket = tempSocket();
    sockets.push(socket);
    const main = spawn(process.execPath, [fixture('main-then-kill9.mjs'), socket.socketPath, NODE_HELPER, PYTHON_HELPER], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    main.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await until(() => out.includes('\n'), 15_000, 'both helpers to connect');
    const helperPids = (out.match(/pids (\d+) (\d+)/) ?? []).slice(1).map(Number);
    pidsToReap.push(...helperPids);
    expect(helperPids).toHaveLength(2);
    expect(helperPids.every(isRunning)).toBe(true);
    const killedAtMs = Date.now();
    main.kill('SIGKILL');
    await until(() => !helperPids.some(isRunning), 10_000, 'both helpers to exit');
    reportFigures('helpers after kill -9 of main', { helpers: 2, allExitedWithinMs: Date.now() - killedAtMs });
    expect(helperPids.filter(isRunning)).toEqual([]);
  });
});
if (!hasPython) console.log('helper-processes: the kill -9 test needs python3, which is not installed here');
