// Server RSS under large broadcasts (issue 11, item 2; docs/RELIABILITY.md):
//   node bench/broadcast-memory.mjs [peers=20] [broadcasts=1] [mib=32] [stalled=0]
// BROADCAST_MEMORY_OPTIONS='{"maxPendingWriteBytes":…,"maxOutboundBytes":…}' passes server options;
// BROADCAST_MEMORY_INTERVAL_MS spaces the broadcasts (default: all in one loop).
// The server runs alone in a child process (dist/, so `npm run build` first)
// and broadcasts `broadcasts` strings of `mib` MiB to `peers` raw socket
// peers, the first `stalled` of which say hello, then never read. Reported: the server's RSS
// before and its high-water mark (VmHWM) after, how many peers were dropped
// and why, and how many got every broadcast whole.
import { fork } from 'node:child_process';
import { createConnection } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame } from '../dist/common/frame-codec.js';

const [readers = 20, broadcasts = 1, mib = 32, stalled = 0] = process.argv.slice(2).map(Number);

if (process.env.BROADCAST_MEMORY_SERVER) {
  const { IpcServer } = await import('../dist/node/index.js');
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const options = JSON.parse(process.env.BROADCAST_MEMORY_OPTIONS ?? '{}');
  const server = new IpcServer({ socketPath: process.env.BROADCAST_MEMORY_SERVER, logger: quiet, ...options });
  const dropped = {};
  server.on('client-disconnected', ({ reason }) => {
    const code = reason?.code ?? 'none';
    dropped[code] = (dropped[code] ?? 0) + 1;
  });
  server.start();
  await server.ready;
  const hwmMiB = async () => {
    const { readFileSync } = await import('node:fs');
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return Number(line.split(/\s+/)[1]) / 1024;
  };
  process.on('message', async (m) => {
    if (m.op === 'wait-clients') {
      while (server.clients().length < m.count) await new Promise((r) => setTimeout(r, 20));
      process.send({ op: m.op, rssMiB: process.memoryUsage().rss / 2 ** 20 });
    } else if (m.op === 'broadcast') {
      const intervalMs = Number(process.env.BROADCAST_MEMORY_INTERVAL_MS ?? 0);
      for (let i = 0; i < m.count; i += 1) {
        server.broadcast('big', String.fromCharCode(97 + (i % 26)).repeat(m.mib * 2 ** 20));
        if (intervalMs > 0) await new Promise((r) => setTimeout(r, intervalMs));
      }
      process.send({ op: m.op });
    } else if (m.op === 'report') {
      // The server writes a broadcast over several turns: wait until what it holds stops changing.
      let last = -1;
      for (let steady = 0; steady < 5; ) {
        await new Promise((r) => setTimeout(r, 100));
        const held = server.outbound.heldBytes;
        steady = held === last ? steady + 1 : 0;
        last = held;
      }
      process.send({ op: m.op, hwmMiB: await hwmMiB(), rssMiB: process.memoryUsage().rss / 2 ** 20, heldMiB: server.outbound.heldBytes / 2 ** 20, dropped, clients: server.clients().length });
    }
  });
  process.send({ op: 'ready' });
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ipcio-bmem-'));
  const socketPath = join(dir, 's.sock');
  const child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BROADCAST_MEMORY_SERVER: socketPath } });
  const replies = [];
  let wake;
  child.on('message', (m) => {
    replies.push(m);
    wake?.();
  });
  const reply = async (op) => {
    for (;;) {
      const i = replies.findIndex((m) => m.op === op);
      if (i >= 0) return replies.splice(i, 1)[0];
      await new Promise((r) => (wake = r));
    }
  };
  await reply('ready');
  const frameBytes = mib * 2 ** 20;
  const peers = [];
  for (let i = 0; i < readers; i += 1) {
    const socket = createConnection(socketPath);
    await new Promise((r) => socket.once('connect', r));
    const peer = { socket, bytes: 0, closed: false };
    socket.on('data', (chunk) => (peer.bytes += chunk.byteLength));
    socket.on('error', () => undefined);
    socket.on('close', () => (peer.closed = true));
    for (const chunk of encodeFrame({ kind: 'hello', version: 1, name: `reader-${i}` }).chunks) socket.write(chunk);
    peers.push(peer);
  }
  const before = await (child.send({ op: 'wait-clients', count: readers }), reply('wait-clients'));
  // Stalled peers stop reading once welcomed.
  await new Promise((r) => setTimeout(r, 200));
  for (const p of peers.slice(0, stalled)) p.socket.pause();
  child.send({ op: 'broadcast', count: broadcasts, mib });
  await reply('broadcast');
  const expected = broadcasts * frameBytes;
  const deadline = Date.now() + 120_000;
  const reading = peers.slice(stalled);
  while (Date.now() < deadline && !reading.every((p) => p.closed || p.bytes >= expected)) await new Promise((r) => setTimeout(r, 50));
  // Stalled peers get a moment to be dropped (or not) once the readers are done.
  if (stalled) await new Promise((r) => setTimeout(r, 1000));
  child.send({ op: 'report' });
  const after = await reply('report');
  const whole = peers.filter((p) => p.bytes >= expected).length;
  console.log(
    JSON.stringify({
      readers,
      broadcasts,
      mib,
      stalled,
      serverRssBeforeMiB: Number(before.rssMiB.toFixed(1)),
      serverRssHighWaterMiB: Number(after.hwmMiB.toFixed(1)),
      serverHeldOutboundMiB: Number(after.heldMiB.toFixed(1)),
      disconnectedByReason: after.dropped,
      peersWithEveryBroadcast: whole,
      stalledStillConnected: after.clients - reading.filter((p) => !p.closed).length,
      bytesReadPerStalledPeerMiB: Number((peers.slice(0, stalled).reduce((sum, p) => sum + p.bytes, 0) / Math.max(1, stalled) / 2 ** 20).toFixed(1)),
    }),
  );
  for (const p of peers) p.socket.destroy();
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}
