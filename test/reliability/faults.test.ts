import { createConnection, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder } from '../../lib/common/frame-codec.js';
import { headerOnly, RawPeer } from '../support/raw-peer.js';
import { welcomingServer } from '../support/raw-server.js';
import { tempSocket, until } from '../support/temp-socket.js';
import {
  Child,
  mib,
  MiB,
  reportFigures,
  scale,
  SOAK,
  startServer,
  stopAllChildren,
  type ClientSummary,
  type ServerMemory,
  type ServerStats,
  type SlowCalls,
} from './support/harness.js';

/**
 * Faults: a server killed with SIGKILL under load, a helper killed mid-request,
 * peers that stop reading, half-open and frozen connections, connection floods
 * that never say hello, and frames that stop half-way. Every test runs the
 * server in its own process, so a crash is seen as a crash.
 */
describe('faults', () => {
  let socket: ReturnType<typeof tempSocket>;

  beforeEach(() => {
    socket = tempSocket();
  });

  afterEach(async () => {
    await stopAllChildren();
    socket.cleanup();
  });

  const fleet = (prefix: string, count: number, extra: object = {}): Child =>
    Child.start('rel-clients.mjs', { socketPath: socket.socketPath, prefix, count, reconnect: { minMs: 20, maxMs: 200 }, ...extra }, { label: prefix });

  const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

  it(
    'kill -9 of the server while 20 clients stream: every queued message arrives once, in order; requests in flight reject DISCONNECTED',
    async () => {
      const rounds = scale(1, 5);
      const fleets = [0, 1, 2, 3].map((p) => fleet(`s${p}`, 5, { instrument: true }));
      let server = await startServer({ socketPath: socket.socketPath });
      await Promise.all(fleets.map((f) => f.call('connect')));
      await Promise.all(fleets.map((f) => f.call('startStream', 1, 5)));

      const totals = { sent: 0, beforeCrash: 0, afterRestart: 0, lostInDeadSocket: 0, slowDisconnected: 0, rejectMs: 0 };
      const firstOfRound: Record<string, number> = {};
      for (let round = 0; round < rounds; round += 1) {
        await until(
          async () => {
            const stats = await server.call<ServerStats>('stats');
            return Object.keys(stats.streams).length === 20 && Object.values(stats.streams).every((s) => s.count >= 200);
          },
          15_000,
          'every client to stream 200 messages',
        );
        await Promise.all(fleets.map((f) => f.call('slowAll')));
        // All 20 slow requests in the server's handler, so they are in flight when it dies.
        await until(async () => (await server.call<SlowCalls>('slowCalls')).started === 20, 15_000, 'the 20 slow requests to reach the server');
        const before = await server.call<ServerStats>('stats');
        const killedAt = Date.now();
        await server.kill('SIGKILL');
        const slow = (await Promise.all(fleets.map((f) => f.call<string[]>('slowResults')))).flat();
        totals.rejectMs = Math.max(totals.rejectMs, Date.now() - killedAt);
        expect(slow).toEqual(Array(20).fill('DISCONNECTED'));
        totals.slowDisconnected += slow.length;

        await new Promise((resolve) => setTimeout(resolve, 300)); // the streams keep emitting into the offline queues
        server = await startServer({ socketPath: socket.socketPath });
        await until(async () => sum(await Promise.all(fleets.map((f) => f.call<number>('connected')))) === 20, 15_000, 'all 20 to reconnect');
        await new Promise((resolve) => setTimeout(resolve, 300));

        const last = round === rounds - 1;
        const summaries = (await Promise.all(fleets.map((f) => f.call<ClientSummary[]>(last ? 'stopStream' : 'summary')))).flat();
        await until(
          async () => {
            const stats = await server.call<ServerStats>('stats');
            return summaries.every((c) => (stats.streams[c.name]?.last ?? -1) >= (last ? c.sent - 1 : Math.max(0, c.sent - 200)));
          },
          15_000,
          'the restarted server to receive what was queued',
        );
        const after = await server.call<ServerStats>('stats');
        for (const client of summaries) {
          const dead = before.streams[client.name] as ServerStats['streams'][string];
          const restarted = after.streams[client.name] as ServerStats['streams'][string];
          // The connection to the killed server: the last seq handed to its socket.
          const toDeadServer = client.written[round] as ClientSummary['written'][number];
          const lastWritten = toDeadServer.last;
          const expectedFirst = round === 0 ? 0 : (firstOfRound[client.name] as number);
          // The killed server had what it received in order, from where this connection began...
          expect({ client: client.name, first: dead.first, violations: dead.violations, complete: dead.count === dead.last - dead.first + 1 }).toEqual({
            client: client.name,
            first: expectedFirst,
            violations: 0,
            complete: true,
          });
          expect(dead.last).toBeLessThanOrEqual(lastWritten);
          // ...and the restarted one gets everything that had not reached the dead socket: once, in order, no gap.
          expect({ client: client.name, first: restarted.first, violations: restarted.violations, complete: restarted.count === restarted.last - restarted.first + 1 }).toEqual({
            client: client.name,
            first: lastWritten + 1,
            violations: 0,
            complete: true,
          });
          if (last) expect(restarted.last).toBe(client.sent - 1);
          firstOfRound[client.name] = lastWritten + 1;
          totals.beforeCrash += dead.count;
          totals.lostInDeadSocket += lastWritten - dead.last;
          if (last) totals.afterRestart += restarted.count;
        }
        if (last) totals.sent = sum(summaries.map((c) => c.sent));
      }
      // Exactly once: every emit reached one server, or was handed to a socket that died with its server.
      expect(totals.beforeCrash + totals.afterRestart + totals.lostInDeadSocket).toBe(totals.sent);
      // Nothing hangs: every echo request settled, either answered or DISCONNECTED (in flight at a crash).
      const settled = (await Promise.all(fleets.map((f) => f.call<ClientSummary[]>('settle', 10_000)))).flat();
      const pending = sum(settled.map((c) => c.pending));
      const ok = sum(settled.map((c) => c.requests.ok));
      const bad = sum(settled.map((c) => c.requests.bad));
      const codes: Record<string, number> = {};
      for (const c of settled) for (const [code, n] of Object.entries(c.requests.byCode)) codes[code] = (codes[code] ?? 0) + n;
      expect(pending).toBe(0);
      expect(bad).toBe(0);
      expect(Object.keys(codes).filter((code) => code !== 'DISCONNECTED')).toEqual([]);
      reportFigures('faults/kill-9 server while 20 clients stream', {
        rounds,
        clients: 20,
        emitsSent: totals.sent,
        receivedByKilledServers: totals.beforeCrash,
        receivedByLastServer: totals.afterRestart,
        writtenToDeadSocketNotRead: totals.lostInDeadSocket,
        duplicates: 0,
        inFlightRejectedDisconnected: totals.slowDisconnected,
        maxMsKillToReject: totals.rejectMs,
        echoRequestsOk: ok,
        echoRequestsDisconnected: codes.DISCONNECTED ?? 0,
        requestsLeftPending: pending,
      });
    },
    scale(60_000, 300_000),
  );

  describe('half-open and frozen connections', () => {
    it('client side: the server half-closes while the client has a backlog and a handler running; nothing is lost, nothing crashes', async () => {
      const raw = await welcomingServer(socket.socketPath);
      const client = fleet('half', 1, { instrument: true, reconnect: { minMs: 20, maxMs: 100 } });
      await client.call('connect');
      const conn = raw.sockets[0] as Socket;
      conn.pause(); // the server stops reading...
      await client.call('emitBlob', 0, 32 * MiB); // ...so this stays in the client's socket buffer
      raw.write(conn, { kind: 'request', id: 1, cmd: 'slow', data: { ms: 150 } });
      await until(async () => (await client.call<SlowCalls>('slowCalls')).started === 1, 10_000, 'the handler to start');
      conn.end(); // half-close: the client reads EOF, cannot write, and sees no close while its backlog is stuck
      await client.call('startStream', 2);
      // The handler answers into the half-closed connection; a call after that proves the process survived it.
      await until(async () => (await client.call<SlowCalls>('slowCalls')).settled === 1, 10_000, 'the handler to answer');
      expect(await client.call<number>('connected')).toBeTypeOf('number');
      expect(client.alive).toBe(true);
      await raw.close();
      const server = await startServer({ socketPath: socket.socketPath });
      await until(async () => (await client.call<number>('connected')) === 1, 10_000, 'the client to reconnect');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [summary] = await client.call<ClientSummary[]>('stopStream');
      const c = summary as ClientSummary;
      await until(async () => ((await server.call<ServerStats>('stats')).streams[c.name]?.last ?? -1) === c.sent - 1, 10_000, 'the queued emits');
      const stream = (await server.call<ServerStats>('stats')).streams[c.name] as ServerStats['streams'][string];
      const firstConnection = c.written[0] as ClientSummary['written'][number];
      // Nothing reached the raw server (it never read); everything not handed to that socket arrives, in order.
      expect({ first: stream.first, last: stream.last, count: stream.count, violations: stream.violations }).toEqual({
        first: firstConnection.last + 1,
        last: c.sent - 1,
        count: c.sent - firstConnection.last - 1,
        violations: 0,
      });
      expect(client.alive).toBe(true);
      reportFigures('faults/server half-closes under a client backlog', {
        emitsSent: c.sent,
        handedToHalfClosedSocket: firstConnection.last + 1,
        queuedAndDelivered: stream.count,
        clientAlive: client.alive,
      });
    });

    it('server side: a peer that half-closes is dropped at once and requests routed to it reject DISCONNECTED', async () => {
      const server = await startServer({ socketPath: socket.socketPath });
      const requester = fleet('asker', 1);
      await requester.call('connect');
      const half = await RawPeer.connect(socket.socketPath);
      half.send({ kind: 'hello', version: 1, name: 'half' });
      await half.waitFor('welcome');
      const answers = requester.call<{ code: string; at: number }[]>('requestMany', 'half', 'slow', { ms: 60_000 }, 10);
      await until(() => half.received.filter((m) => m.kind === 'request').length === 10, 5_000, 'the requests to arrive');
      const endedAt = Date.now();
      half.socket.end(); // FIN: it will send nothing more, but still reads
      const settled = await answers;
      expect(settled.map((s) => s.code)).toEqual(Array(10).fill('DISCONNECTED'));
      const maxMs = Math.max(...settled.map((s) => s.at - endedAt));
      expect(maxMs).toBeLessThan(1_000);
      expect(await server.call<string[]>('clients')).toEqual(['asker-0']);
      await half.waitClosed();
      reportFigures('faults/peer half-closes with requests routed to it', { requests: 10, rejectedDisconnected: 10, maxMsEndToReject: maxMs });
    });

    it('a frozen peer (SIGSTOP): requests to it time out, it is dropped with SLOW_CONSUMER, bystanders are served, and it comes back after SIGCONT', async () => {
      const server = await startServer({ socketPath: socket.socketPath, maxPendingWriteBytes: 4 * MiB });
      const frozen = fleet('frozen', 1);
      const bystanders = fleet('by', 3);
      await Promise.all([frozen.call('connect'), bystanders.call('connect')]);
      process.kill(frozen.pid, 'SIGSTOP');
      try {
        const started = Date.now();
        const timedOut = await bystanders.call<{ code: string; at: number }[]>('requestMany', 'frozen-0', 'echo', 1, 1, 300);
        expect(timedOut.map((s) => s.code)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT']);
        const timeoutMs = Math.max(...timedOut.map((s) => s.at - started));
        await server.call('startBroadcast', 2, 1, 64 * 1024);
        await until(async () => ((await server.call<ServerStats>('stats')).disconnectReasons.SLOW_CONSUMER ?? 0) === 1, 20_000, 'SLOW_CONSUMER');
        const ticks = await server.call<number>('stopBroadcast');
        await until(async () => (await bystanders.call<ClientSummary[]>('summary')).every((c) => c.ticks.count === ticks), 10_000, 'bystanders to get every tick');
        const memory = await server.call<ServerMemory>('memory');
        process.kill(frozen.pid, 'SIGCONT');
        await until(async () => (await server.call<string[]>('clients')).includes('frozen-0'), 10_000, 'the thawed client to reconnect');
        const by = await bystanders.call<ClientSummary[]>('summary');
        expect(by.every((c) => c.ticks.violations === 0)).toBe(true);
        reportFigures('faults/frozen peer (SIGSTOP)', {
          requestTimeoutMs: 300,
          msToTimeout: timeoutMs,
          broadcastsOf64KiB: ticks,
          bystanderTicksReceived: ticks * 3,
          droppedWith: 'SLOW_CONSUMER',
          serverRssHwmMiB: mib(memory.rssHwm),
          reconnectedAfterSigcont: true,
        });
      } finally {
        process.kill(frozen.pid, 'SIGCONT');
      }
    });
  });

  it('kill -9 of a helper mid-request: every requester gets DISCONNECTED at once', async () => {
    const rounds = scale(1, 10);
    await startServer({ socketPath: socket.socketPath });
    const requesters = fleet('req', 5);
    await requesters.call('connect');
    let maxMs = 0;
    let rejected = 0;
    for (let round = 0; round < rounds; round += 1) {
      const helper = fleet('helper', 1);
      await helper.call('connect');
      const answers = requesters.call<{ code: string; at: number }[]>('requestMany', 'helper-0', 'slow', { ms: 600_000 }, 10);
      // All 50 requests in the helper's handler, so they are in flight when it dies.
      await until(async () => (await helper.call<SlowCalls>('slowCalls')).started === 50, 15_000, 'the 50 slow requests to reach the helper');
      const killedAt = Date.now();
      await helper.kill('SIGKILL');
      const settled = await answers;
      expect(settled.map((s) => s.code)).toEqual(Array(50).fill('DISCONNECTED'));
      maxMs = Math.max(maxMs, ...settled.map((s) => s.at - killedAt));
      rejected += settled.length;
    }
    expect(maxMs).toBeLessThan(1_000);
    reportFigures('faults/kill -9 of a helper mid-request', { rounds, requestsInFlight: rejected, rejectedDisconnected: rejected, maxMsKillToReject: maxMs });
  }, scale(30_000, 600_000));

  it('a client that stops reading: dropped with SLOW_CONSUMER, server memory bounded, bystanders get every broadcast', async () => {
    // Short: one reader and a 16 MiB bound. Soak: five at once, with the default bound (maxFrameSize + 16 MiB = 80 MiB).
    const sloths = scale(1, 5);
    const bound = scale(16 * MiB, 80 * MiB);
    const server = await startServer({ socketPath: socket.socketPath, maxPendingWriteBytes: SOAK ? undefined : bound });
    const bystanders = fleet('by', 3);
    await bystanders.call('connect');
    const readers: RawPeer[] = [];
    for (let i = 0; i < sloths; i += 1) {
      const reader = await RawPeer.connect(socket.socketPath);
      reader.send({ kind: 'hello', version: 1, name: `sloth-${i}` });
      await reader.waitFor('welcome');
      reader.socket.pause(); // stops reading: the kernel buffer fills, then the server's queue for it
      readers.push(reader);
    }
    const baseline = await server.call<ServerMemory>('resetHwm');
    await server.call('startBroadcast', 2, 1, 256 * 1024);
    // Besides the broadcasts (one buffer per tick, shared by its recipients), each reader gets data of its own.
    for (let i = 0; i < sloths; i += 1) await server.call('feed', `sloth-${i}`, 2, 256 * 1024);
    await until(async () => ((await server.call<ServerStats>('stats')).disconnectReasons.SLOW_CONSUMER ?? 0) === sloths, 60_000, 'every sloth to be dropped');
    // Keep broadcasting a while after the drop: memory must come back, not keep growing.
    await new Promise((resolve) => setTimeout(resolve, scale(500, 5_000)));
    const ticks = await server.call<number>('stopBroadcast');
    await until(async () => (await bystanders.call<ClientSummary[]>('summary')).every((c) => c.ticks.count === ticks), 20_000, 'bystanders to get every tick');
    const memory = await server.call<ServerMemory>('memory');
    const by = await bystanders.call<ClientSummary[]>('summary');
    expect(by.every((c) => c.ticks.violations === 0)).toBe(true);
    const growth = memory.rssHwm - baseline.rssHwm;
    expect(growth).toBeLessThan(sloths * bound * 1.5 + 96 * MiB);
    for (const reader of readers) reader.destroy();
    reportFigures('faults/client stops reading', {
      stalledReaders: sloths,
      pendingWriteBoundMiB: mib(bound),
      broadcastsOf256KiB: ticks,
      ownFeedPerReader: '256 KiB every 2 ms',
      droppedWithSlowConsumer: sloths,
      bystanderBroadcastsReceived: ticks * 3,
      serverRssBaselineMiB: mib(baseline.rssHwm),
      serverRssHwmMiB: mib(memory.rssHwm),
      serverRssGrowthMiB: mib(growth),
    });
  }, scale(30_000, 600_000));

  /** Connects a raw socket, retrying while the listen backlog is full (EAGAIN), as a flooder would. */
  async function openRaw(): Promise<{ sock: Socket; retries: number }> {
    for (let retries = 0; ; retries += 1) {
      const sock = createConnection(socket.socketPath);
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        sock.once('connect', () => resolve(undefined));
        sock.once('error', resolve);
      });
      if (!error) return { sock, retries };
      sock.destroy();
      if (error.code !== 'EAGAIN') throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Opens `count` raw connections that misbehave before hello; resolves when the server has closed all of them. */
  async function flood(
    count: number,
    behave: (sock: Socket, i: number) => void,
  ): Promise<{ codes: Record<string, number>; closedAfterMs: number[]; eagainRetries: number }> {
    const codes: Record<string, number> = {};
    const closedAfterMs: number[] = [];
    const closed: Promise<void>[] = [];
    let eagainRetries = 0;
    for (let batch = 0; batch < count; batch += 100) {
      const opened: Promise<void>[] = [];
      for (let i = batch; i < Math.min(count, batch + 100); i += 1) {
        opened.push(
          openRaw().then(({ sock, retries }) => {
            eagainRetries += retries;
            const decoder = new FrameDecoder({ maxFrameSize: MiB });
            const openedAt = Date.now();
            let code = 'closed without an error frame';
            sock.on('data', (chunk) => {
              for (const m of decoder.push(chunk)) if (m.kind === 'error') code = m.error.code;
            });
            sock.on('error', () => undefined);
            closed.push(
              new Promise((resolve) =>
                sock.once('close', () => {
                  codes[code] = (codes[code] ?? 0) + 1;
                  closedAfterMs.push(Date.now() - openedAt);
                  resolve();
                }),
              ),
            );
            behave(sock, i);
          }),
        );
      }
      await Promise.all(opened);
    }
    await Promise.all(closed);
    return { codes, closedAfterMs, eagainRetries };
  }

  it('1,000 connections that never say hello (silent, header-only, half a hello) are all closed at the handshake timeout; bystanders are served', async () => {
    const waves = scale(1, 5);
    const handshakeTimeoutMs = scale(1_000, 5_000);
    const server = await startServer({ socketPath: socket.socketPath, handshakeTimeoutMs });
    const bystanders = fleet('by', 3);
    await bystanders.call('connect');
    const baseline = await server.call<ServerMemory>('resetHwm');
    await bystanders.call('startStream', 5, 10);
    const hello = Buffer.concat(encodeFrame({ kind: 'hello', version: 1, name: 'never' }).chunks);
    const rssAfterWave: number[] = [];
    const allCodes: Record<string, number> = {};
    let slowestClose = 0;
    let retries = 0;
    for (let wave = 0; wave < waves; wave += 1) {
      const { codes, closedAfterMs, eagainRetries } = await flood(1_000, (sock, i) => {
        if (i % 3 === 1) sock.write(headerOnly(1_000, 900)); // a header, then nothing
        if (i % 3 === 2) sock.write(hello.subarray(0, hello.length >> 1)); // half a hello, then nothing
      });
      for (const [code, n] of Object.entries(codes)) allCodes[code] = (allCodes[code] ?? 0) + n;
      retries += eagainRetries;
      slowestClose = Math.max(slowestClose, ...closedAfterMs);
      rssAfterWave.push((await server.call<ServerMemory>('memory')).rss);
    }
    const summaries = await bystanders.call<ClientSummary[]>('stopStream');
    const settled = await bystanders.call<ClientSummary[]>('settle', 10_000);
    const stats = await server.call<ServerStats>('stats');
    await until(async () => {
      const s = await server.call<ServerStats>('stats');
      return summaries.every((c) => (s.streams[c.name]?.last ?? -1) === c.sent - 1);
    }, 10_000, 'bystander emits');
    const memory = await server.call<ServerMemory>('memory');
    expect(allCodes).toEqual({ HANDSHAKE_TIMEOUT: 1_000 * waves });
    expect(stats.errors.HANDSHAKE_TIMEOUT).toBe(1_000 * waves);
    expect(await server.call<string[]>('clients')).toHaveLength(3);
    expect(settled.every((c) => c.pending === 0 && Object.keys(c.requests.byCode).length === 0 && c.requests.bad === 0)).toBe(true);
    expect(Object.values((await server.call<ServerStats>('stats')).streams).every((s) => s.violations === 0)).toBe(true);
    reportFigures('faults/connections that never say hello', {
      waves,
      connections: 1_000 * waves,
      closedWithHandshakeTimeout: allCodes.HANDSHAKE_TIMEOUT ?? 0,
      handshakeTimeoutMs,
      slowestCloseMs: slowestClose,
      connectRetriesOnFullBacklog: retries,
      bystanderRequestsOk: settled.reduce((n, c) => n + c.requests.ok, 0),
      bystanderEmits: summaries.reduce((n, c) => n + c.sent, 0),
      serverRssBaselineMiB: mib(baseline.rssHwm),
      serverRssHwmMiB: mib(memory.rssHwm),
      rssAfterEachWaveMiB: rssAfterWave.map(mib).join('/'),
    });
  }, scale(30_000, 600_000));

  it('unauthenticated peers announcing 64 MiB first frames are refused from the header: server memory stays flat', async () => {
    const peers = scale(100, 1_000);
    const server = await startServer({ socketPath: socket.socketPath }); // default maxFrameSize: 64 MiB
    const baseline = await server.call<ServerMemory>('resetHwm');
    const body = Buffer.alloc(4 * MiB, 0x5b); // "[[[[..." — would be JSON to parse, were it buffered
    const { codes } = await flood(peers, (sock) => {
      sock.write(headerOnly(64 * MiB, 64 * MiB - 4));
      sock.write(body);
    });
    const memory = await server.call<ServerMemory>('memory');
    expect(codes).toEqual({ FRAME_TOO_LARGE: peers });
    const growth = memory.rssHwm - baseline.rssHwm;
    // Before the fix, each of them could make the server buffer 64 MiB. What remains is read buffers
    // that arrive during the one-second close grace, garbage the next collection frees.
    expect(growth).toBeLessThan(scale(64, 128) * MiB);
    reportFigures('faults/first frames of 64 MiB before hello', {
      connections: peers,
      bytesSentEach: '8 B header + 4 MiB',
      refusedWith: 'FRAME_TOO_LARGE',
      serverRssGrowthMiB: mib(growth),
    });
  }, scale(30_000, 600_000));

  it('a peer that sends a header and stalls: before hello it is closed at the handshake timeout; after welcome it holds only what it sent', async () => {
    const server = await startServer({ socketPath: socket.socketPath, handshakeTimeoutMs: 500 });
    const bystander = fleet('by', 1);
    await bystander.call('connect');
    const before = await RawPeer.connect(socket.socketPath);
    before.writeBytes(headerOnly(64 * 1024, 100));
    const stallers: RawPeer[] = [];
    for (let i = 0; i < 50; i += 1) {
      const peer = await RawPeer.connect(socket.socketPath);
      peer.send({ kind: 'hello', version: 1, name: `staller-${i}` });
      await peer.waitFor('welcome');
      peer.writeBytes(headerOnly(MiB, 100)); // announces 1 MiB, sends 1 KiB of it, stalls
      peer.writeBytes(new Uint8Array(1024));
      stallers.push(peer);
    }
    expect((await before.waitFor('error', 10_000)).error.code).toBe('HANDSHAKE_TIMEOUT');
    await before.waitClosed();
    // One more stalled hello, connected after every staller: the server's handshake timers all last 500 ms,
    // so once this one has fired, any that could have been running for a staller has fired too.
    const late = await RawPeer.connect(socket.socketPath);
    late.writeBytes(headerOnly(64 * 1024, 100));
    expect((await late.waitFor('error', 10_000)).error.code).toBe('HANDSHAKE_TIMEOUT');
    await late.waitClosed();
    late.destroy();
    // The stalled peers are slow senders, not protocol errors: they stay, and everyone else is served.
    const settled = bystander.call<{ code: string }[]>('requestMany', 'staller-0', 'echo', 1, 1, 300);
    // Relayed to staller-0, which reads although it writes mid-frame; it never answers (a raw peer), so TIMEOUT.
    expect(await (stallers[0] as RawPeer).waitFor('request', 10_000)).toMatchObject({ cmd: 'echo', data: 1 });
    expect((await settled)[0]?.code).toBe('TIMEOUT');
    const discover = await bystander.call<{ code: string }[]>('requestMany', 'by-0', 'echo', 'x', 5);
    expect(discover.map((d) => d.code)).toEqual(Array(5).fill('resolved'));
    expect((await server.call<string[]>('clients')).length).toBe(51);
    for (const peer of stallers) peer.destroy();
    await until(async () => (await server.call<string[]>('clients')).length === 1, 5_000, 'stallers to be gone');
    const memory = await server.call<ServerMemory>('memory');
    reportFigures('faults/header then stall', { beforeHello: 'HANDSHAKE_TIMEOUT', welcomedStallers: 50, stallersDroppedOnDisconnect: 50, serverRssHwmMiB: mib(memory.rssHwm) });
  });
});
