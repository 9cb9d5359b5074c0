import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient } from '../../lib/node/index.js';
import { assertBuilt, runCli, RunningCli } from './cli-process.js';

/**
 * serve, listen and monitor as real child processes, talking to each other
 * through `ipcio serve` in its own process, found by domain in a private
 * XDG_RUNTIME_DIR (the path stays far under the 107-byte socket limit).
 */
describe('ipcio serve, listen and monitor', () => {
  let runtimeDir: string;
  let env: Record<string, string>;
  let serve: RunningCli;
  const running: RunningCli[] = [];

  const start = (...args: string[]): RunningCli => {
    const child = new RunningCli([...args, '--domain', 'clitest'], env);
    running.push(child);
    return child;
  };
  const cli = (...args: string[]) => runCli([...args, '--domain', 'clitest'], { env });

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    runtimeDir = mkdtempSync('/tmp/ipcio-c-');
    env = { XDG_RUNTIME_DIR: runtimeDir, IPCIO_TOKEN: 'open-sesame' };
    serve = start('serve');
    await serve.waitForStderr(/listening on /);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.stop('SIGKILL')));
    rmSync(runtimeDir, { recursive: true, force: true });
  });

  it('serve listens on the domain socket in the private directory and closes cleanly on SIGTERM', async () => {
    const socketPath = join(runtimeDir, 'ipcio', 'clitest.sock');
    expect(serve.stderr).toContain(`listening on ${socketPath}`);
    expect(existsSync(socketPath)).toBe(true);
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
  });

  it('a second serve on the same domain exits 2 with DOMAIN_IN_USE and leaves the first alone', async () => {
    const { code, stderr } = await cli('serve');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^DOMAIN_IN_USE: /m);
    expect((await cli('discover')).code).toBe(0);
  });

  it('serve requires its token: a wrong one exits 2 (the server cannot prove our token: SERVER_AUTH_FAILED)', async () => {
    const { code, stderr } = await runCli(['discover', '--domain', 'clitest'], { env: { XDG_RUNTIME_DIR: runtimeDir, IPCIO_TOKEN: 'wrong' } });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^SERVER_AUTH_FAILED: /);
  });

  it('listen prints each arriving emit, request and broadcast as a JSON line, answering requests with null', async () => {
    const listener = start('listen', '--name', 'ears', 'job', 'tick');
    await listener.waitForStderr(/listening as ears for job, tick/);
    expect((await cli('emit', '--to', 'ears', 'job', '{"id":7,"blob":{"$bytes":"3q2+7w=="}}', '--name', 'boss')).code).toBe(0);
    const asked = await cli('request', '--to', 'ears', 'tick', '"now"', '--name', 'clock');
    expect(asked).toMatchObject({ code: 0, stdout: 'null\n' });
    const unknown = await cli('request', '--to', 'ears', 'other');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^NO_HANDLER: /);
    // No CLI command broadcasts, so a library client does.
    const caster = new IpcClient({ socketPath: join(runtimeDir, 'ipcio', 'clitest.sock'), name: 'caster', token: 'open-sesame' }).connect();
    await caster.ready;
    caster.broadcast('tick', [1, 2]);
    await listener.waitFor(() => listener.jsonLines().length === 3, 5000, 'three lines');
    await caster.close();
    expect(listener.jsonLines()).toEqual([
      { command: 'job', from: 'boss', data: { id: 7, blob: { $bytes: '3q2+7w==' } } },
      { command: 'tick', from: 'clock', data: 'now' },
      { command: 'tick', from: 'caster', data: [1, 2] },
    ]);
    expect(await listener.stop('SIGINT')).toBe(0);
  });

  it('listen exits 2 when the server goes away, and NAME_TAKEN exits 2', async () => {
    const listener = start('listen', '--name', 'ears', 'job');
    await listener.waitForStderr(/listening as ears/);
    const twin = await cli('listen', '--name', 'ears', 'job');
    expect(twin.code).toBe(2);
    expect(twin.stderr).toMatch(/^NAME_TAKEN: /);
    expect(await serve.stop('SIGTERM')).toBe(0);
    expect(await listener.wait()).toBe(2);
    expect(listener.stderr).toMatch(/DISCONNECTED: the server closed the connection/);
  });

  it('monitor prints one line per message the server receives from other clients, without payloads', async () => {
    const monitor = start('monitor');
    await monitor.waitForStderr(/monitoring /);
    const listener = start('listen', '--name', 'ears', 'job');
    await listener.waitForStderr(/listening as ears/);
    expect((await cli('request', '--to', 'ears', 'job', '{"secret":"s3cr3t"}', '--name', 'asker')).code).toBe(0);
    await monitor.waitFor(() => monitor.jsonLines().length >= 2, 5000, 'request and response lines');
    const lines = monitor.jsonLines();
    expect(lines).toContainEqual({ from: 'asker', to: 'ears', kind: 'request', cmd: 'job', id: 1 });
    expect(lines).toContainEqual(expect.objectContaining({ from: 'ears', kind: 'response' }));
    expect(monitor.stdout).not.toContain('s3cr3t');
    expect(await monitor.stop('SIGINT')).toBe(0);
  });
});
