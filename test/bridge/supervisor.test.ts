import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient } from '../../lib/node/client.js';
import { IpcServer } from '../../lib/node/server.js';
import { isRunning } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';
import type { Logger } from '../../lib/common/logger.js';

const HELPER = fileURLToPath(new URL('./fixtures/supervised-helper.mjs', import.meta.url));
const PARENT = fileURLToPath(new URL('./fixtures/supervisor-parent.mjs', import.meta.url));
const ELECTRON_LIKE_MAIN = fileURLToPath(new URL('./fixtures/electron-like-main.mjs', import.meta.url));
const PYTHON_HELPER = fileURLToPath(new URL('./fixtures/supervised_helper.py', import.meta.url));

function lineLogger(): { lines: string[]; logger: Logger } {
  const lines: string[] = [];
  const push = (...args: unknown[]): void => void lines.push(args.join(' '));
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

describe('server.spawn: supervised helper processes (real child processes on the real socket)', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;

  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, name: 'main', logger: quiet }).start();
    await server.ready;
  });

  afterEach(async () => {
    await server.close();
    socket.cleanup();
  });

  it('starts a helper that finds socket, name and token in its environment, and streams its output by line', async () => {
    const { lines, logger } = lineLogger();
    const helper = server.spawn(process.execPath, [HELPER], { name: 'worker', logger });
    expect(await helper.request('whoami')).toEqual({ pid: helper.pid, name: 'worker' });
    await until(() => lines.includes(`[worker] connected as worker pid ${helper.pid}`), 5000, 'the stdout line');
    helper.emit('note', 'hello');
    await until(() => lines.includes('[worker] note hello'), 5000, 'the note');
  });

  it('a helper in another language (Python, stdlib client) finds the same environment', async () => {
    const { lines, logger } = lineLogger();
    const helper = server.spawn('python3', [PYTHON_HELPER], { name: 'py', logger });
    expect(await helper.request('whoami', undefined, { timeoutMs: 10_000 })).toEqual({ pid: helper.pid, name: 'py', lang: 'python' });
    await until(() => lines.includes('[py] python helper connected'), 5000, 'the stdout line');
    const pid = helper.pid as number;
    await server.close();
    expect(isRunning(pid)).toBe(false);
  });

  it('the helper\'s name takes its own token: nobody else can connect under it', async () => {
    const helper = server.spawn(process.execPath, [HELPER], { name: 'worker', logger: quiet });
    await helper.request('whoami');
    const impostor = new IpcClient({ socketPath: socket.socketPath, name: 'worker', logger: quiet, reconnect: false });
    impostor.connect();
    await expect(impostor.ready).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await impostor.close();
    expect(await helper.request('whoami')).toMatchObject({ name: 'worker' });
  });

  it('a helper that crashes is restarted with backoff, gets its name back, and messages held meanwhile reach it', async () => {
    const { lines, logger } = lineLogger();
    const helper = server.spawn(process.execPath, [HELPER], { name: 'worker', logger, restart: { minMs: 300, maxMs: 2000 } });
    const first = (await helper.request('whoami')) as { pid: number };

    const gaps: number[] = [];
    let previousPid = first.pid;
    for (let crash = 1; crash <= 2; crash += 1) {
      const crashedAt = Date.now();
      expect(await helper.request('crash')).toBe('bye');
      await until(() => !server.clients().includes('worker'), 5000, 'the crash');
      // Sent while it is down: held in order, delivered when it is back under its name.
      helper.emit('note', `${crash}a`);
      helper.emit('note', `${crash}b`);
      const back = (await helper.request('whoami', undefined, { timeoutMs: 10_000 })) as { pid: number; name: string };
      gaps.push(Date.now() - crashedAt);
      expect(back.name).toBe('worker');
      expect(back.pid).not.toBe(previousPid);
      expect(isRunning(previousPid)).toBe(false);
      previousPid = back.pid;
      await until(() => lines.includes(`[worker] note ${crash}b`), 5000, 'the held notes');
      expect(lines.indexOf(`[worker] note ${crash}a`)).toBeLessThan(lines.indexOf(`[worker] note ${crash}b`));
    }
    expect(helper.restarts).toBe(2);
    // Backoff: never sooner than minMs; the second wait is drawn from a doubled ceiling.
    expect(gaps.every((gap) => gap >= 300)).toBe(true);
    expect(lines.filter((line) => /helper "worker" exited with code 3; restarting in \d+ ms/.test(line))).toHaveLength(2);
    expect(lines).toContain('[worker] crashing on purpose');
  });

  it('without restart, a dead helper stays dead and held requests time out', async () => {
    const helper = server.spawn(process.execPath, [HELPER], { name: 'worker', logger: quiet, restart: false });
    await helper.request('crash');
    await until(() => helper.pid === undefined, 5000, 'the exit');
    await expect(helper.request('whoami', undefined, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(helper.restarts).toBe(0);
  });

  it('closing the server leaves no helper running, SIGKILL for one that ignores SIGTERM', async () => {
    const { lines, logger } = lineLogger();
    const exitListeners = process.listenerCount('exit');
    const polite = server.spawn(process.execPath, [HELPER], { name: 'polite', logger, restart: true });
    const stubborn = server.spawn(process.execPath, [HELPER, '--ignore-sigterm'], { name: 'stubborn', logger, restart: true, killGraceMs: 300 });
    await Promise.all([polite.request('whoami'), stubborn.request('whoami')]);
    const pids = [polite.pid as number, stubborn.pid as number];
    expect(pids.every(isRunning)).toBe(true);
    const held = stubborn.request('whoami').catch((error: unknown) => error);

    const closedAt = Date.now();
    await server.close();
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(250);
    expect(pids.map(isRunning)).toEqual([false, false]);
    expect(lines).toContain('[stubborn] ignoring SIGTERM');
    // The exit hook goes with the last helper.
    expect(process.listenerCount('exit')).toBe(exitListeners);
    await held;
    // No restart after a stop, even with restart on. Both exits have been handled (pid undefined) while
    // stopping, and a restart is only ever scheduled in that exit handling, which logs "restarting in"
    // as it sets the timer: no such line and no restart means no timer is pending, so none can follow.
    expect([polite.pid, stubborn.pid]).toEqual([undefined, undefined]);
    expect(lines.filter((line) => line.includes('restarting in'))).toEqual([]);
    expect([polite.restarts, stubborn.restarts]).toEqual([0, 0]);
    expect(() => server.spawn(process.execPath, [HELPER], { name: 'late' })).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('a main process that exits without closing its server still takes its helper down', async () => {
    const parent = spawn(process.execPath, [PARENT, socket.socketPath.replace('s.sock', 'p.sock'), HELPER], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    parent.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => parent.on('exit', resolve));
    expect(code).toBe(0);
    const pid = Number(/helper pid (\d+)/.exec(output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await until(() => !isRunning(pid), 5000, `helper ${pid} to be gone`);
  });

  it('inside Electron (a fake: process.versions.electron set on plain Node), a helper spawned as process.execPath gets ELECTRON_RUN_AS_NODE=1, others do not', async () => {
    const own = tempSocket();
    const child = spawn(process.execPath, [ELECTRON_LIKE_MAIN, own.socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    own.cleanup();
    expect(JSON.parse(out)).toEqual(['[node-helper] ELECTRON_RUN_AS_NODE=1', '[other-helper] ELECTRON_RUN_AS_NODE=(unset)']);
  });
});
