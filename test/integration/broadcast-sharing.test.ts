import { afterEach, describe, expect, it } from 'vitest';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import type { IpcError } from '../../lib/common/errors.js';
import type { Message } from '../../lib/common/messages.js';
import { MONITOR_MAX_FIELD_CHARS } from '../../lib/common/server-core.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';

const MiB = 1024 * 1024;

/** Broadcasts are encoded once, written a slice per turn in order per peer, and held under one server-wide cap. */
describe('shared broadcasts over real sockets', () => {
  let socket: ReturnType<typeof tempSocket> | undefined;
  let server: IpcServer | undefined;
  const closers: (() => unknown)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await server?.close();
    socket?.cleanup();
    server = undefined;
    socket = undefined;
  });

  async function startServer(options: ConstructorParameters<typeof IpcServer>[0] = {}): Promise<IpcServer> {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, logger: quiet, ...options }, { noop: () => null });
    server.start();
    await server.ready;
    return server;
  }

  async function rawPeer(name: string): Promise<RawPeer> {
    const peer = await RawPeer.connect((socket as { socketPath: string }).socketPath);
    closers.push(() => peer.destroy());
    peer.send({ kind: 'hello', version: 1, name });
    await peer.waitFor('welcome');
    return peer;
  }

  async function client(name: string): Promise<IpcClient> {
    const c = new IpcClient({ socketPath: (socket as { socketPath: string }).socketPath, name, logger: quiet });
    closers.push(() => c.close());
    c.connect();
    await c.ready;
    return c;
  }

  const cmds = (peer: RawPeer): string[] =>
    peer.received.filter((m): m is Extract<Message, { kind: 'emit' | 'broadcast' }> => m.kind === 'emit' || m.kind === 'broadcast').map((m) => m.cmd);

  it('keeps each peer’s order when emits, requests and relayed broadcasts interleave with sliced broadcasts', async () => {
    // A slice of 0 ms ends after every 32 recipients: each broadcast to 80 peers takes three turns.
    await startServer({ broadcastSliceMs: 0 });
    const peers = await Promise.all(Array.from({ length: 80 }, (_, i) => rawPeer(`p${i}`)));
    const relayer = await client('relayer');
    const expected: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      server!.broadcast(`b${i}`, i);
      expected.push(`b${i}`);
      for (let p = 0; p < peers.length; p += 1) server!.emit(`p${p}`, `e${i}`, i);
      expected.push(`e${i}`);
    }
    await until(() => peers.every((p) => cmds(p).length === expected.length), 20_000, 'every peer got every message');
    for (const peer of peers) expect(cmds(peer)).toEqual(expected);

    // A broadcast relayed from a client goes the same way, before what the server sends next.
    relayer.broadcast('relayed', 1);
    await until(() => peers.every((p) => cmds(p).includes('relayed')), 20_000, 'the relayed broadcast');
    for (let p = 0; p < peers.length; p += 1) server!.emit(`p${p}`, 'after', 0);
    await until(() => peers.every((p) => cmds(p).includes('after')), 20_000, 'the emit after it');
    for (const peer of peers) expect(cmds(peer).slice(-2)).toEqual(['relayed', 'after']);
  });

  it('writes a burst of broadcasts in one tick to a peer together, not one write each', async () => {
    await startServer();
    const peer = await rawPeer('burst');
    let dataEvents = 0;
    peer.socket.on('data', () => (dataEvents += 1));
    for (let i = 0; i < 200; i += 1) server!.broadcast('tick', i);
    await until(() => cmds(peer).length === 200, 10_000, 'all 200 broadcasts');
    expect(peer.received.filter((m) => m.kind === 'broadcast').map((m) => (m as { data: number }).data)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    // The first goes out at once, the other 199 in one write after the loop: at most those two reads.
    expect(dataEvents).toBeLessThanOrEqual(2);
  });

  it('holds one copy of a broadcast for all stalled readers, and each gets it whole once it reads', async () => {
    await startServer();
    const stalled = await Promise.all([rawPeer('s1'), rawPeer('s2'), rawPeer('s3'), rawPeer('s4')]);
    for (const peer of stalled) peer.socket.pause();
    const reader = await client('reader');
    const got: string[] = [];
    reader.addHandlers({ big: ({ data }) => void got.push(data as string) });
    const payload = 'x'.repeat(8 * MiB);
    server!.broadcast('big', payload);
    await until(() => got.length === 1, 20_000, 'the reading client got it');
    // Four stalled readers hold it, each most of 8 MiB behind: counted once, as it is stored once.
    const held = server!.outbound.heldBytes;
    expect(held).toBeGreaterThan(4 * MiB);
    expect(held).toBeLessThan(9 * MiB);
    for (const peer of stalled) peer.socket.resume();
    await until(() => stalled.every((p) => cmds(p).includes('big')), 20_000, 'the stalled readers got it');
    for (const peer of stalled) {
      const message = peer.received.find((m) => m.kind === 'broadcast') as { data: string };
      expect(message.data.length).toBe(payload.length);
    }
    await until(() => server!.outbound.heldBytes === 0, 10_000, 'nothing held once all read');
  });

  it('past maxOutboundBytes drops the slowest reader first, with SLOW_CONSUMER, and keeps the others', async () => {
    await startServer({ maxOutboundBytes: 5 * MiB, maxPendingWriteBytes: 64 * MiB });
    const gone: { name: string; reason?: IpcError }[] = [];
    server!.on('client-disconnected', (info) => gone.push(info));
    const slowest = await rawPeer('slowest');
    const slow = await rawPeer('slow');
    slowest.socket.pause();
    slow.socket.pause();
    const reader = await client('reader');
    const got: number[] = [];
    reader.addHandlers({ big: ({ data }) => void got.push((data as string).length) });
    // 4 MiB of its own: under the cap alone.
    server!.emit('slowest', 'own', 'y'.repeat(2 * MiB));
    server!.emit('slowest', 'own', 'y'.repeat(2 * MiB));
    expect(gone).toEqual([]);
    // A 3 MiB broadcast takes the total past 5 MiB: the peer furthest behind goes, the shared bytes stay.
    server!.broadcast('big', 'z'.repeat(3 * MiB));
    await until(() => gone.length === 1, 10_000, 'one peer dropped');
    expect(gone[0]).toMatchObject({ name: 'slowest', reason: { code: 'SLOW_CONSUMER' } });
    await until(() => got.length === 1, 10_000, 'the reader got the broadcast');
    slow.socket.resume();
    await until(() => cmds(slow).includes('big'), 10_000, 'the slow peer got it once it read');
    expect(gone.map((g) => g.name)).toEqual(['slowest']);
    await until(() => server!.outbound.heldBytes === 0, 10_000, 'nothing held once all read');
  });

  it('cuts the names in a monitor summary to a fixed length, whatever the peer sent', async () => {
    await startServer();
    const monitor = await rawPeer('monitor');
    monitor.send({ kind: 'request', id: 1, cmd: 'ipcio:monitor', data: null });
    await monitor.waitFor('response');
    const sender = await rawPeer('sender');
    const longCommand = 'c'.repeat(100_000);
    sender.send({ kind: 'emit', cmd: longCommand, data: 'payload', to: 't'.repeat(50_000) });
    await until(() => monitor.received.some((m) => m.kind === 'emit'), 10_000, 'a summary');
    const summary = monitor.received.find((m) => m.kind === 'emit') as { cmd: string; data: { cmd: string; to: string; from: string } };
    expect(summary.cmd).toBe('ipcio:monitor');
    expect(summary.data.cmd.length).toBeLessThanOrEqual(MONITOR_MAX_FIELD_CHARS + 1);
    expect(summary.data.cmd.startsWith('c'.repeat(MONITOR_MAX_FIELD_CHARS))).toBe(true);
    expect(summary.data.to.length).toBeLessThanOrEqual(MONITOR_MAX_FIELD_CHARS + 1);
    expect(summary.data.from).toBe('sender');
  });

  it('discover() is kept until a peer joins or leaves or a command list changes', async () => {
    await startServer();
    const first = server!.discover();
    expect(server!.discover()).toBe(first);
    const a = await client('alpha');
    const joined = server!.discover();
    expect(joined).not.toBe(first);
    expect(joined.clients).toContain('alpha');
    expect(server!.discover()).toBe(joined);
    a.addHandlers({ fresh: () => 1 });
    await until(() => (server!.discover().peers.alpha ?? []).includes('fresh'), 10_000, 'the new command');
    server!.addHandlers({ serverFresh: () => 2 });
    expect(server!.discover().commands).toContain('serverFresh');
    // A client's discover goes through the same answer.
    expect((await a.discover()).peers.alpha).toContain('fresh');
    await a.close();
    await until(() => !server!.discover().clients.includes('alpha'), 10_000, 'alpha gone');
    expect(server!.discover().peers.alpha).toBeUndefined();
    expect(Object.isFrozen(server!.discover())).toBe(true);
  });
});
