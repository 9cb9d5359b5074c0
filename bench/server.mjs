// Server child process: node server.mjs <impl> <socketPath>. Counts what it
// receives, answers `echo` and `sync`, and reports its memory and connection
// count when the parent asks over the fork channel.
const [impl, path] = process.argv.slice(2);
const { startServer } = await import(`./impl/${impl}.mjs`);

import { monitorEventLoopDelay } from 'node:perf_hooks';

let count = 0;
let bytes = 0;
/** Requests to `hang` received: they are never answered, so they stay in flight until their client goes. */
let hanging = 0;
const handlers = {
  emit: {
    tick: () => {
      count += 1;
    },
    text: (data) => {
      count += 1;
      bytes += data.length;
    },
    bytes: (data) => {
      count += 1;
      bytes += data.byteLength;
    },
  },
  request: {
    echo: (data) => data,
    hang: () => {
      hanging += 1;
      return new Promise(() => undefined);
    },
    // cpuUs lets the client work out the server's CPU time per message.
    sync: () => ({ count, bytes, cpuUs: cpuMicros() }),
  },
};

function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const server = await startServer({ path, handlers });

function memory() {
  for (let i = 0; i < 3; i += 1) globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

const nowNs = () => Number(process.hrtime.bigint());
/**
 * Runs from the start: the histogram records the gap between two of its 1 ms
 * timer ticks, and reset() forgets the last tick, so a block right after a
 * reset would go unseen. It is therefore reset when read (`loop-delay`), and
 * the parent waits a little before the next broadcast.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

/**
 * One broadcast of a 100-byte string. `blockedMs` runs from the call until a
 * setImmediate queued right after it fires: the call itself plus the
 * microtasks and ticks that write the frames, the time the loop could serve
 * nothing else. startNs is CLOCK_MONOTONIC, which every process shares.
 */
function broadcastOnce(seq) {
  const text = `${seq}:`.padEnd(100, 'x');
  const startNs = nowNs();
  server.broadcast('news', text);
  const callMs = (nowNs() - startNs) / 1e6;
  setImmediate(() => {
    const blockedMs = (nowNs() - startNs) / 1e6;
    process.send({ type: 'broadcast', startNs, callMs, blockedMs });
  });
}

/** Waits for every client to go (polled every 5 ms); reports the time and the CPU the server spent. */
function timeStorm() {
  const startNs = nowNs();
  const cpuBefore = cpuMicros();
  const poll = setInterval(() => {
    if (server.connections() > 0) return;
    clearInterval(poll);
    process.send({ type: 'storm', ms: (nowNs() - startNs) / 1e6, cpuMs: (cpuMicros() - cpuBefore) / 1000 });
  }, 5);
  process.send({ type: 'storm-armed' });
}

function discoverOnce() {
  if (!server.discover) return process.send({ type: 'discover', ms: null, bytes: null });
  const startNs = nowNs();
  const answer = server.discover();
  const ms = (nowNs() - startNs) / 1e6;
  process.send({ type: 'discover', ms, bytes: Buffer.byteLength(JSON.stringify(answer)) });
}

process.on('message', async (message) => {
  if (message.type === 'memory') process.send({ type: 'memory', ...memory() });
  else if (message.type === 'broadcast') broadcastOnce(message.seq);
  else if (message.type === 'loop-delay') {
    process.send({ type: 'loop-delay', maxMs: loopDelay.max / 1e6 });
    loopDelay.reset();
  }
  else if (message.type === 'hanging') process.send({ type: 'hanging', count: hanging });
  else if (message.type === 'storm') timeStorm();
  else if (message.type === 'discover') discoverOnce();
  else if (message.type === 'connections') process.send({ type: 'connections', count: server.connections() });
  else if (message.type === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
