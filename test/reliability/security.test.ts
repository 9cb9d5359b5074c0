import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { RawPeer } from '../support/raw-peer.js';
import { until } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';
import { Child, mib, reportFigures, scale, startServer, stopAllChildren, type ClientSummary, type ServerMemory, type ServerStats } from './support/harness.js';

const NOBODY = 65534;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IS_ROOT = process.getuid?.() === 0;
const NEEDS_ROOT = 'needs root: it runs processes as another user (nobody) through setpriv';
/** Tests that act as another user: skipped, with the reason printed, when not root. */
const itAsRoot = IS_ROOT ? it : it.skip;
if (!IS_ROOT) console.log(`[security] skipping the tests that act as nobody: ${NEEDS_ROOT} (uid ${process.getuid?.()})`);

/**
 * Copies this checkout's build (dist/ and the two runtime dependencies) into `dir`, which other users can
 * read: the checkout itself may be private to its owner, and the probe must run the same build as the test.
 */
function publishBuild(dir: string): string {
  const pkg = join(dir, 'pkg');
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
  for (const dependency of ['uuid', 'ws']) cpSync(join(ROOT, 'node_modules', dependency), join(pkg, 'node_modules', dependency), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ type: 'module' }), { mode: 0o644 });
  return join(pkg, 'dist', 'node', 'index.js');
}
const run = promisify(execFile);

/**
 * A script run as another user (nobody, through setpriv): it tries the socket
 * with a raw connect and with the real client, and prints what happened.
 */
const probeSource = (dist: string): string => `
import { createConnection } from 'node:net';
import { IpcClient } from ${JSON.stringify(dist)};
const [path, token] = process.argv.slice(2);
const raw = await new Promise((resolve) => {
  const s = createConnection(path);
  s.once('connect', () => { s.destroy(); resolve('connected'); });
  s.once('error', (e) => resolve(e.code));
});
const client = new IpcClient({ socketPath: path, name: 'intruder', token, reconnect: false, logger: { debug() {}, info() {}, warn() {}, error() {} } });
client.connect();
const viaClient = await client.ready.then(() => 'welcomed', (e) => e.code + ': ' + e.message);
await client.close();
console.log(JSON.stringify({ uid: process.getuid(), raw, viaClient }));
`;

/** Runs `node <script> ...args` as nobody (or as this user when `asRoot`), returning its JSON line. */
async function probeAs(scriptDir: string, args: string[], asRoot = false): Promise<{ uid: number; raw: string; viaClient: string }> {
  const script = join(scriptDir, 'probe.mjs');
  const dist = join(scriptDir, 'pkg', 'dist', 'node', 'index.js');
  if (!existsSync(dist)) publishBuild(scriptDir);
  writeFileSync(script, probeSource(dist), { mode: 0o644 });
  const command = asRoot ? [process.execPath, script, ...args] : ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, script, ...args];
  const { stdout } = await run(command[0] as string, command.slice(1), { timeout: 15_000 });
  return JSON.parse(stdout.trim().split('\n').pop() as string);
}

/** Runs a shell command as nobody (to prepare a directory the way an attacker would). */
function asNobody(...command: string[]): Promise<unknown> {
  return run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', ...command], { timeout: 10_000 });
}

describe('security', () => {
  let base: string;
  let savedXdg: string | undefined;
  let savedTmp: string | undefined;

  beforeEach(() => {
    // A world-traversable base, like /tmp or /run/user: the only barrier left is ipcio's own.
    base = mkdtempSync('/tmp/ipcio-sec-');
    chmodSync(base, 0o755);
    savedXdg = process.env.XDG_RUNTIME_DIR;
    savedTmp = process.env.TMPDIR;
  });

  afterEach(async () => {
    await stopAllChildren();
    if (savedXdg === undefined) delete process.env.XDG_RUNTIME_DIR;
    else process.env.XDG_RUNTIME_DIR = savedXdg;
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(base, { recursive: true, force: true });
  });

  itAsRoot('a process of another user (nobody) cannot connect: private 0700 directory, and an owner-only socket elsewhere', async () => {
    process.env.XDG_RUNTIME_DIR = base;
    const connected: string[] = [];
    const server = new IpcServer({ domain: 'sec', logger: quiet }, { double: ({ data }) => (data as number) * 2 });
    server.on('client-connected', ({ name }) => connected.push(name));
    server.start();
    await server.ready;
    expect(statSync(join(base, 'ipcio')).mode & 0o777).toBe(0o700);
    const other = await probeAs(base, [server.socketPath, '']);
    expect(other.uid).toBe(NOBODY);
    expect(other.raw).toBe('EACCES');
    expect(other.viaClient).toMatch(/^DISCONNECTED: .*EACCES/);
    // The same script as the owner connects: the refusal above is the permissions, not the script.
    const owner = await probeAs(base, [server.socketPath, ''], true);
    expect(owner).toMatchObject({ raw: 'connected', viaClient: 'welcomed' });
    expect(connected).toEqual(['intruder']);
    await server.close();

    // An explicit socketPath in a world-writable directory: the socket itself is 0600.
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const exposed = new IpcServer({ socketPath: join(shared, 's.sock'), logger: quiet });
    exposed.start();
    await exposed.ready;
    expect(statSync(exposed.socketPath).mode & 0o777).toBe(0o600);
    const again = await probeAs(base, [exposed.socketPath, '']);
    expect(again).toMatchObject({ uid: NOBODY, raw: 'EACCES' });
    await exposed.close();
    reportFigures('security/another user', { user: 'nobody (65534)', privateDir: 'EACCES', ownerOnlySocketInSharedDir: 'EACCES', sameScriptAsOwner: 'welcomed' });
  });

  describe('socket directories prepared by another user are refused, by the server and by a client', () => {
    /** The fallback `<tmp>/ipcio-<uid>` in a shared sticky directory, as /tmp is: where an attacker can get first. */
    function sharedTmp(): string {
      const tmp = join(base, 'tmp');
      mkdirSync(tmp);
      chmodSync(tmp, 0o1777);
      delete process.env.XDG_RUNTIME_DIR;
      process.env.TMPDIR = tmp;
      return join(tmp, `ipcio-${process.getuid?.()}`);
    }

    /** A server the attacker runs in the directory it prepared, recording every hello (and token) it is sent. */
    async function decoy(path: string): Promise<{ hellos: () => number; mark: () => Promise<void>; stop: () => Promise<void> }> {
      const log = join(base, 'decoy.log');
      const script = join(base, 'decoy.mjs');
      writeFileSync(
        script,
        `import { createServer } from 'node:net'; import { appendFileSync } from 'node:fs';
         createServer((s) => s.on('data', (d) => appendFileSync(${JSON.stringify(log)}, d.toString('latin1') + '\\n'))).listen(${JSON.stringify(path)}, () => console.log('up'));`,
        { mode: 0o644 },
      );
      writeFileSync(log, '');
      chmodSync(log, 0o666);
      const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => child.stdout.once('data', resolve));
      return {
        hellos: () => (existsSync(log) ? (readFileSync(log, 'latin1').match(/"kind":"hello"/g) ?? []).length : 0),
        /** Connects, writes a marker and resolves once the decoy has logged it. */
        mark: async () => {
          const marker = `marker-${Date.now()}`;
          const sock = createConnection(path);
          sock.on('error', () => undefined);
          sock.write(marker);
          await until(() => readFileSync(log, 'latin1').includes(marker), 10_000, 'the decoy to log the marker');
          sock.destroy();
        },
        stop: async () => {
          child.kill('SIGKILL');
          await new Promise((resolve) => child.once('exit', resolve));
        },
      };
    }

    it.skipIf(!IS_ROOT).each([
      ['created by nobody', async (dir: string) => asNobody('mkdir', '-m', '0777', dir), 'owned by uid 65534'],
      ['a symlink (planted by nobody) to nobody\'s directory', async (dir: string) => {
        const target = join(dir, '..', 'attacker');
        await asNobody('mkdir', '-m', '0777', target);
        await asNobody('ln', '-s', target, dir);
      }, 'symbolic link'],
      ['group-writable', async (dir: string) => {
        mkdirSync(dir, { mode: 0o700 });
        chmodSync(dir, 0o770);
      }, 'has mode 770'],
    ])('a socket directory %s: the server refuses to listen, a client refuses to connect and sends nothing', async (_label, prepare, why) => {
      const dir = sharedTmp();
      await prepare(dir);
      const attackerCanListen = statSync(dir).uid === NOBODY || _label.startsWith('a symlink');
      const trap = attackerCanListen ? await decoy(join(dir, 'sec.sock')) : undefined;
      try {
        const server = new IpcServer({ domain: 'sec', logger: quiet }).start();
        await expect(server.ready).rejects.toMatchObject({ code: 'UNSAFE_SOCKET_DIR', message: expect.stringContaining(why) });
        await server.close();
        const client = new IpcClient({ domain: 'sec', name: 'helper', token: 'the-secret', reconnect: false, logger: quiet });
        client.connect();
        await expect(client.ready).rejects.toMatchObject({ code: 'UNSAFE_SOCKET_DIR' });
        // Stopped is terminal: the client sends nothing from here on.
        expect(client.phase).toBe('stopped');
        await client.close();
        if (trap) {
          // A marker of our own reaches the attacker's log; no hello was there before it, and none can follow.
          await trap.mark();
          expect(trap.hellos()).toBe(0); // the token never reached the attacker's socket
        }
      } finally {
        await trap?.stop();
      }
    });
  });

  it('a second server on a live domain fails with DOMAIN_IN_USE, and the first keeps serving its clients without a gap', async () => {
    process.env.XDG_RUNTIME_DIR = base;
    const first = await startServer({ domain: 'live' });
    const clients = Child.start('rel-clients.mjs', { domain: 'live', prefix: 'c', count: 3 }, { label: 'clients' });
    await clients.call('connect');
    await clients.call('startStream', 2, 10);
    const path = join(base, 'ipcio', 'live.sock');
    const inode = statSync(path).ino;
    const attempts = scale(5, 50);
    for (let i = 0; i < attempts; i += 1) {
      const second = new IpcServer({ domain: 'live', logger: quiet }).start();
      await expect(second.ready).rejects.toMatchObject({ code: 'DOMAIN_IN_USE' });
      await second.close();
    }
    // The same from another process, as the app started twice would.
    const rival = Child.start('rel-server.mjs', { domain: 'live' }, { label: 'rival' });
    expect((await rival.waitFor((e) => e.event === 'start-failed' || e.event === 'ready')).code).toBe('DOMAIN_IN_USE');
    expect(statSync(path).ino).toBe(inode);
    const summaries = await clients.call<ClientSummary[]>('stopStream');
    await until(async () => {
      const stats = await first.call<ServerStats>('stats');
      return summaries.every((c) => stats.streams[c.name]?.last === c.sent - 1);
    }, 10_000, 'the stream');
    const stats = await first.call<ServerStats>('stats');
    for (const c of summaries) {
      expect(c.disconnects).toEqual([]);
      expect(stats.streams[c.name]).toMatchObject({ first: 0, count: c.sent, violations: 0 });
    }
    reportFigures('security/second server on a live domain', {
      attemptsInProcess: attempts,
      attemptsFromAnotherProcess: 1,
      refusedWith: 'DOMAIN_IN_USE',
      socketInodeUnchanged: true,
      clientDisconnects: 0,
      emitsDuringAttempts: summaries.reduce((n, c) => n + c.sent, 0),
    });
  }, scale(30_000, 600_000));

  it('a second server does not take over a live server whose listen backlog is full', async () => {
    process.env.XDG_RUNTIME_DIR = base;
    const first = await startServer({ domain: 'busy' });
    const path = join(base, 'ipcio', 'busy.sock');
    const inode = statSync(path).ino;
    // The live server is busy (a long synchronous handler) and connections pile up until the backlog is full.
    const spinner = Child.start('rel-clients.mjs', { domain: 'busy', prefix: 'spin', count: 1 }, { label: 'spinner' });
    await spinner.call('connect');
    void spinner.call('requestMany', 'server', 'spin', { ms: 3_000 }, 1).catch(() => undefined);
    await first.waitFor((event) => event.event === 'spinning', 10_000); // the server's event loop is blocked from here
    const flood = await RawFlood.fill(path);
    const second = new IpcServer({ domain: 'busy', logger: quiet }).start();
    const result = await second.ready.then(() => 'listening', (error: { code: string }) => error.code);
    await second.close();
    flood.close();
    expect(flood.refused).toBeGreaterThan(0); // the backlog really was full
    expect(result).toBe('DOMAIN_IN_USE');
    expect(existsSync(path) && statSync(path).ino).toBe(inode);
    await until(async () => (await first.call<string[]>('clients')).length >= 1, 10_000, 'the first server to serve again');
    reportFigures('security/second server while the first is busy', { queuedConnections: flood.accepted, refusedByFullBacklog: flood.refused, secondServer: result, socketInodeUnchanged: true });
  });

  it('stale socket, servers started at the same moment: exactly one listens, the others report DOMAIN_IN_USE', async () => {
    process.env.XDG_RUNTIME_DIR = base;
    const rounds = scale(5, 40);
    const tally: Record<string, number> = {};
    for (let round = 0; round < rounds; round += 1) {
      const crashed = await startServer({ domain: 'race' });
      await crashed.kill('SIGKILL'); // leaves a stale socket file
      const racers = [0, 1, 2].map((i) => Child.start('rel-server.mjs', { domain: 'race' }, { label: `racer-${i}` }));
      const results = await Promise.all(
        racers.map(async (r) => {
          const event = await r.waitFor((e) => e.event === 'ready' || e.event === 'start-failed', 15_000);
          return event.event === 'ready' ? 'ready' : String(event.code);
        }),
      );
      for (const r of results) tally[r] = (tally[r] ?? 0) + 1;
      expect(results.filter((r) => r === 'ready'), JSON.stringify(results)).toHaveLength(1);
      expect(results.filter((r) => r !== 'ready')).toEqual(['DOMAIN_IN_USE', 'DOMAIN_IN_USE']);
      const winner = racers[results.indexOf('ready')] as Child;
      const client = new IpcClient({ domain: 'race', name: 'c', logger: quiet, reconnect: false });
      client.connect();
      expect(await client.request('double', 4)).toBe(8);
      await client.close();
      await until(async () => (await winner.call<string[]>('clients')).length === 0, 5_000, 'the client to leave');
      await Promise.all(racers.map((r) => r.stop()));
    }
    reportFigures('security/concurrent start on a stale socket', { rounds, serversStarted: rounds * 3, ...tally });
  }, scale(30_000, 600_000));

  it('wrong and missing tokens: SERVER_AUTH_FAILED / AUTH_FAILED before any handler runs, no retry, the name stays free; a flood of wrong proofs changes nothing', async () => {
    const dir = mkdtempSync('/tmp/ipcio-t-');
    const socketPath = join(dir, 's.sock');
    try {
      const server = await startServer({ socketPath, token: 'correct horse battery staple' });
      const legit = Child.start('rel-clients.mjs', { socketPath, prefix: 'legit', count: 1, token: 'correct horse battery staple' }, { label: 'legit' });
      await legit.call('connect');
      await legit.call('startStream', 5, 10);
      const wrong = ['', 'wrong', 'correct horse battery stapl', 'correct horse battery staple ', 'correct horse battery staple\u0000', 'Correct horse battery staple', 'correct horse battery staple'.normalize('NFKD').replace('e', 'е'), 'x'.repeat(200 * 1024)];
      const codes: string[] = [];
      for (const token of [undefined, ...wrong]) {
        const client = new IpcClient({ socketPath, name: 'target-name', token, logger: quiet, reconnect: { minMs: 10, maxMs: 20 } });
        client.connect();
        codes.push(await client.ready.then(() => 'welcomed', (e: { code: string }) => e.code));
        // Stopped is terminal: no retry can follow (rather than waiting to see none come).
        expect(client.phase).toBe('stopped');
        await client.close();
      }
      // No token (an empty one is none): the server refuses the hello. A wrong one, even the token plus a
      // trailing NUL (the same HMAC key were the token used as the key unhashed): the server's proof does
      // not match it, and the client stops before sending anything more.
      expect(codes).toEqual(['AUTH_FAILED', 'AUTH_FAILED', ...Array(wrong.length - 1).fill('SERVER_AUTH_FAILED')]);
      // The server counts a refusal as it closes the connection, which may be after the client read it.
      await until(async () => ((await server.call<ServerStats>('stats')).errors.AUTH_FAILED ?? 0) >= 2, 10_000, 'every refusal to be counted');
      let stats = await server.call<ServerStats>('stats');
      expect(stats.errors.AUTH_FAILED).toBe(2); // one attempt each: a refused client does not retry
      expect(stats.streams['target-name']).toBeUndefined();
      // A guessing flood: raw hellos with random tokens, 1,000 of them, 50 at a time.
      const guesses = scale(1_000, 10_000);
      const baseline = await server.call<ServerMemory>('resetHwm');
      let refused = 0;
      for (let i = 0; i < guesses; i += 50) {
        await Promise.all(
          Array.from({ length: 50 }, async (_, j) => {
            const peer = await RawPeer.connect(socketPath);
            // The token never crosses the wire: a guesser gets a challenge and answers it with a guessed proof.
            peer.send({ kind: 'hello', version: 1, name: `guess-${i + j}`, nonce: randomBytes(32).toString('hex') });
            await peer.waitFor('challenge');
            peer.send({ kind: 'proof', proof: randomBytes(32).toString('hex') });
            const error = await peer.waitFor('error');
            await peer.waitClosed();
            if (error.error.code === 'AUTH_FAILED' && error.fatal) refused += 1;
          }),
        );
      }
      expect(refused).toBe(guesses);
      // The name was never taken: the rightful client gets it now.
      const rightful = new IpcClient({ socketPath, name: 'target-name', token: 'correct horse battery staple', logger: quiet });
      rightful.connect();
      await rightful.ready;
      await rightful.close();
      const summaries = await legit.call<ClientSummary[]>('stopStream');
      const settled = await legit.call<ClientSummary[]>('settle', 10_000);
      await until(async () => (await server.call<ServerStats>('stats')).streams['legit-0']?.last === (summaries[0] as ClientSummary).sent - 1, 10_000, 'the bystander stream');
      stats = await server.call<ServerStats>('stats');
      const memory = await server.call<ServerMemory>('memory');
      expect(stats.streams['legit-0']).toMatchObject({ first: 0, violations: 0 });
      expect(settled[0]).toMatchObject({ pending: 0, requests: { bad: 0, byCode: {} } });
      reportFigures('security/tokens', {
        wrongOrMissingTokens: wrong.length + 1,
        refusedAuthFailed: codes.length,
        retriesAfterRefusal: 0,
        guessingFloodHellos: guesses,
        guessesRefused: refused,
        bystanderEmits: (summaries[0] as ClientSummary).sent,
        bystanderRequestsOk: (settled[0] as ClientSummary).requests.ok,
        serverRssGrowthMiB: mib(memory.rssHwm - baseline.rssHwm),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, scale(30_000, 600_000));
});

/** Connections opened (and never accepted) until the server's listen backlog refuses more with EAGAIN. */
class RawFlood {
  private constructor(
    private readonly sockets: import('node:net').Socket[],
    readonly accepted: number,
    readonly refused: number,
  ) {}

  static async fill(path: string): Promise<RawFlood> {
    const { createConnection } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 8_000 && refused < 20; i += 1) {
      const sock = createConnection(path);
      sockets.push(sock);
      const result = await new Promise<string>((resolve) => {
        sock.once('connect', () => resolve('ok'));
        sock.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      if (result === 'ok') accepted += 1;
      else if (result === 'EAGAIN') refused += 1;
    }
    return new RawFlood(sockets, accepted, refused);
  }

  close(): void {
    for (const sock of this.sockets) sock.destroy();
  }
}
