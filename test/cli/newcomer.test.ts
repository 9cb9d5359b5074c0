import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, RunningCli } from './cli-process.js';

/**
 * The messages a newcomer meets (issue 14), each from real `ipcio` processes
 * talking to a real `ipcio serve` found by domain in a private XDG_RUNTIME_DIR.
 */
describe('ipcio as a newcomer meets it', () => {
  let runtimeDir: string;
  let env: Record<string, string>;
  const running: RunningCli[] = [];

  const start = (...args: string[]): RunningCli => {
    const child = new RunningCli([...args, '--domain', 'newcomer'], env);
    running.push(child);
    return child;
  };
  const cli = (...args: string[]) => runCli([...args, '--domain', 'newcomer'], { env });

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    runtimeDir = mkdtempSync('/tmp/ipcio-n-');
    env = { XDG_RUNTIME_DIR: runtimeDir, IPCIO_TOKEN: 'open-sesame' };
    await start('serve').waitForStderr(/listening on /);
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((child) => child.stop('SIGKILL')));
    rmSync(runtimeDir, { recursive: true, force: true });
  });

  it('a mistyped flag names the nearest one and points to --help', async () => {
    const { code, stderr } = await cli('discover', '--domian', 'x');
    expect(code).toBe(1);
    expect(stderr).toBe('ipcio: unknown option --domian; did you mean --domain?\nSee "ipcio discover --help".\n');
    const request = await cli('request', '--timout', '5', 'x');
    expect(request.stderr).toMatch(/^ipcio: unknown option --timout; did you mean --timeout\?\nSee "ipcio request --help"\./);
  });

  it('a flag like no other gets no guess, a negative number the "--" advice, a mistyped command the nearest one', async () => {
    const far = await cli('discover', '--zzzzzz');
    expect(far.code).toBe(1);
    expect(far.stderr).toBe('ipcio: unknown option --zzzzzz\nSee "ipcio discover --help".\n');
    const negative = await cli('emit', 'set', '-1');
    expect(negative.code).toBe(1);
    expect(negative.stderr).toMatch(/^ipcio: unknown option -1; a JSON argument that starts with "-" goes after "--", as in: -- -1\n/);
    const command = await runCli(['dicsover']);
    expect(command.code).toBe(1);
    expect(command.stderr).toMatch(/^ipcio: unknown command "dicsover"; did you mean "discover"\?\n.*See "ipcio --help"\./);
  });

  it('broadcast reaches every other client that handles the command', async () => {
    const [one, two] = [start('listen', '--name', 'one', 'tick'), start('listen', '--name', 'two', 'tick', 'tock')];
    await Promise.all([one.waitForStderr(/listening as one/), two.waitForStderr(/listening as two/)]);
    const { code, stderr } = await cli('broadcast', 'tick', '{"n":1}');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    await one.waitFor(() => one.jsonLines().length === 1, 10_000, 'the broadcast at one');
    await two.waitFor(() => two.jsonLines().length === 1, 10_000, 'the broadcast at two');
    expect(one.jsonLines()[0]).toMatchObject({ command: 'tick', data: { n: 1 }, from: expect.stringMatching(/^ipcio-cli-\d+$/) });
    expect(two.jsonLines()[0]).toMatchObject({ command: 'tick', data: { n: 1 } });
  });

  it('serve --help describes --name once, as the server name', async () => {
    const { code, stdout } = await runCli(['serve', '--help']);
    expect(code).toBe(0);
    const nameLines = stdout.split('\n').filter((line) => /^\s+--name\b/.test(line));
    expect(nameLines).toEqual(['  --name NAME     the server\'s own name, as clients see it (default "server")']);
    expect(stdout).not.toContain('client name to connect as');
  });

  it('AUTH_FAILED (no token) and SERVER_AUTH_FAILED (a wrong one) say how to give the token', async () => {
    const missing = await runCli(['discover', '--domain', 'newcomer'], { env: { XDG_RUNTIME_DIR: runtimeDir, IPCIO_TOKEN: '' } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^AUTH_FAILED: .*; pass the server's token with --token T or, kept out of ps, the IPCIO_TOKEN variable\n$/);
    const wrong = await runCli(['discover', '--domain', 'newcomer'], { env: { XDG_RUNTIME_DIR: runtimeDir, IPCIO_TOKEN: 'wrong' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^SERVER_AUTH_FAILED: .*; the token given \(--token or IPCIO_TOKEN\) is not this server's.*\n$/);
  });

  it('a bad domain name is a usage error starting with "ipcio:"', async () => {
    const { code, stderr } = await runCli(['discover', '--domain', 'bad/name']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ipcio: domain "bad\/name" must be .* \(INVALID_ARGUMENT\)\n/);
  });

  it('a name the server refuses in the handshake exits 2, as handshake failures do', async () => {
    const { code, stderr } = await cli('discover', '--name', '');
    expect(code).toBe(2);
    expect(stderr).toMatch(/^BAD_MESSAGE: "" cannot be a client name/);
    const taken = start('listen', '--name', 'busy', 'x');
    await taken.waitForStderr(/listening as busy/);
    const second = await cli('discover', '--name', 'busy');
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/^NAME_TAKEN: .*; choose another --name/);
  });

  it('monitor shows an emit as the emit alone, not the check emit makes after it (unless --builtins)', async () => {
    const listener = start('listen', '--name', 'sink', 'note');
    const quiet = start('monitor');
    const everything = start('monitor', '--builtins');
    await Promise.all([listener.waitForStderr(/listening as sink/), quiet.waitForStderr(/monitoring /), everything.waitForStderr(/monitoring /)]);
    expect((await cli('emit', '--to', 'sink', 'note', '1', '--name', 'emitter')).code).toBe(0);
    // The last message the emit sends is the check: once --builtins shows it, the quiet monitor has had its chance to show it too.
    await everything.waitFor(() => everything.jsonLines().some((line) => (line as { cmd?: string }).cmd === 'ipcio:wait'), 10_000, 'the check');
    await listener.waitFor(() => listener.jsonLines().length === 1, 10_000, 'the note');
    const fromEmitter = (monitor: RunningCli) => monitor.jsonLines().filter((line) => (line as { from?: string }).from === 'emitter');
    expect(fromEmitter(everything)).toEqual([
      { from: 'emitter', to: 'sink', kind: 'emit', cmd: 'note' },
      { from: 'emitter', kind: 'request', cmd: 'ipcio:wait', id: 1 },
    ]);
    // Both monitors received the same frames in the same order from one server; the quiet one left the check out.
    await quiet.waitFor(() => fromEmitter(quiet).length >= 1, 10_000, 'the emit at the quiet monitor');
    expect(fromEmitter(quiet)).toEqual([{ from: 'emitter', to: 'sink', kind: 'emit', cmd: 'note' }]);
  });
});

describe('ipcio serve and Ctrl-C', () => {
  beforeAll(() => assertBuilt());

  it('exits 0 when Ctrl-C signals its whole process group, as a terminal does', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI, cleanEnv } = await import('./cli-process.js');
    const runtimeDir = mkdtempSync('/tmp/ipcio-n-');
    try {
      // Its own group, like a terminal's foreground job; default signal handling (not inherited "ignore").
      const child = spawn(process.execPath, [CLI, 'serve', '--domain', 'ctrlc'], { env: cleanEnv({ XDG_RUNTIME_DIR: runtimeDir }), detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve) => child.stderr.on('data', (chunk: Buffer) => chunk.toString().includes('listening on') && resolve()));
      process.kill(-(child.pid as number), 'SIGINT');
      expect(await exited).toBe(0);
    } finally {
      rmSync(runtimeDir, { recursive: true, force: true });
    }
  });
});
