// Benchmark runner: ipcio against raw node:net (same framing and JSON; the
// ceiling) and node-ipc 9.2.1. Every measurement starts a fresh server process
// and fresh client process(es); implementations run interleaved within each
// round, and the table reports medians over the rounds.
//
//   node bench/run.mjs [--quick] [--rounds=N] [--only=latency,small,burst,json-1mib,binary-1mib,idle,scale,browser,streams]
//                      [--impls=raw,ipcio,node-ipc] [--pin=none|same|split] [--json=FILE] [--profile=DIR]
//   BENCH_ROUNDS=N sets the number of rounds too; IPCIO_ENTRY=file:///.../dist/node/index.js
//   measures another ipcio build; --profile writes a .cpuprofile per process (see profile-top.mjs).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measureBrowser } from './lib/browser.mjs';
import { measureStreams } from './lib/streams.mjs';
import { ask, killAll, nextMessage, sleep, startChild, stopChild, waitExit } from './lib/children.mjs';
import { load, machine, revision } from './lib/machine.mjs';
import { perRound, summarize, table, verdicts } from './lib/report.mjs';
import { formatNumber } from './lib/stats.mjs';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    only: { type: 'string' },
    impls: { type: 'string' },
    json: { type: 'string' },
    profile: { type: 'string' },
    pin: { type: 'string', default: 'none' },
  },
});

const FULL = {
  rounds: 5,
  latency: { warmup: 2_000, requests: 20_000 },
  small: { warmup: 20_000, total: 300_000, window: 5_000 },
  'json-1mib': { warmup: 8, total: 128, window: 8 },
  'binary-1mib': { warmup: 16, total: 512, window: 8 },
  idle: { clients: 1_000, processes: 4, concurrency: 50, settleMs: 1_000 },
  burst: { warmup: 10_000, total: 100_000 },
  scale: { clients: 10_000, processes: 4, concurrency: 50, settleMs: 1_000, broadcasts: 5, inFlightPerClient: 4, stormDivisor: 10 },
  browser: { warmup: 500, requests: 5_000 },
  streams: { n: 300_000, window: 1024, blobs: 512, blobWindow: 16, mib: 1024, stallWindow: 16, first: 16, stallMs: 10_000, sampleMs: 250 },
};
/**
 * node-ipc moves 1 MiB messages 10-100x slower than the others, so it sends
 * fewer of them (same window, so the same bytes in flight; a rate is a rate).
 */
const FEWER_FOR = { 'node-ipc': { 'json-1mib': { warmup: 2, total: 32 }, 'binary-1mib': { warmup: 2, total: 24 } } };
const QUICK = {
  rounds: 1,
  latency: { warmup: 300, requests: 3_000 },
  small: { warmup: 5_000, total: 50_000, window: 5_000 },
  'json-1mib': { warmup: 2, total: 16, window: 8 },
  'binary-1mib': { warmup: 4, total: 64, window: 8 },
  idle: { clients: 1_000, processes: 4, concurrency: 50, settleMs: 500 },
  burst: { warmup: 10_000, total: 100_000 },
  scale: { clients: 2_000, processes: 4, concurrency: 50, settleMs: 500, broadcasts: 3, inFlightPerClient: 4, stormDivisor: 10 },
  browser: { warmup: 200, requests: 1_000 },
  streams: { n: 50_000, window: 1024, blobs: 64, blobWindow: 16, mib: 1024, stallWindow: 16, first: 16, stallMs: 10_000, sampleMs: 250 },
};
const config = flags.quick ? QUICK : FULL;
const rounds = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? config.rounds);
const IMPLS = flags.impls ? flags.impls.split(',') : ['raw', 'ipcio', 'node-ipc'];
const SCENARIOS = flags.only ? flags.only.split(',') : ['latency', 'small', 'burst', 'json-1mib', 'binary-1mib', 'idle', 'scale', 'browser', 'streams'];
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bad number of rounds: ${rounds}`);
/** CPU pinning of the server and client processes: none (the scheduler decides), split (CPU 0 and 1) or same (both on CPU 0). */
const PINS = { none: {}, split: { server: 0, client: 1 }, same: { server: 0, client: 0 } };
const pin = PINS[flags.pin];
if (!pin) throw new Error(`--pin must be one of ${Object.keys(PINS).join(', ')}`);

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const SERVER = here('./server.mjs');
const CLIENT = here('./client.mjs');
const dir = `/tmp/ipcio-bench-${process.pid}`;

function childArgv(role, impl, scenario, round) {
  const argv = role === 'server' ? ['--expose-gc'] : [];
  if (flags.profile) argv.push('--cpu-prof', `--cpu-prof-dir=${flags.profile}`, `--cpu-prof-name=${role}-${impl}-${scenario}-r${round}-${Date.now()}.cpuprofile`);
  return argv;
}

async function startServer(impl, scenario, round) {
  const socketPath = `${dir}/${impl}-${scenario}-${round}.sock`;
  const server = startChild(SERVER, [impl, socketPath], childArgv('server', impl, scenario, round), pin.server);
  await nextMessage(server, 'ready', 30_000);
  return { server, socketPath };
}

/** One server process, one client process running the scenario. */
async function runPair(impl, scenario, round) {
  const { server, socketPath } = await startServer(impl, scenario, round);
  try {
    const params = { ...config[scenario], ...(flags.quick ? {} : FEWER_FOR[impl]?.[scenario]) };
    const client = startChild(CLIENT, [impl, socketPath, scenario, JSON.stringify(params)], childArgv('client', impl, scenario, round), pin.client);
    const { result } = await nextMessage(client, 'result', 300_000);
    await waitExit(client);
    return result;
  } finally {
    await stopChild(server);
  }
}

const cpuOf = (prefix, r) => ({ [`${prefix}ClientCpuUs`]: r.clientCpuUsPerMessage, [`${prefix}ServerCpuUs`]: r.serverCpuUsPerMessage });
const RESULT_TO_METRICS = {
  latency: (r) => ({ latencyMedianUs: r.medianUs, latencyP99Us: r.p99Us, ...cpuOf('latency', r) }),
  small: (r) => ({ msgsPerSecond: r.msgsPerSecond, ...cpuOf('small', r) }),
  burst: (r) => ({ burstMsgsPerSecond: r.msgsPerSecond, ...cpuOf('burst', r) }),
  'json-1mib': (r) => ({ jsonMBps: r.mbPerSecond, ...cpuOf('json', r) }),
  'binary-1mib': (r) => ({ binaryMBps: r.mbPerSecond, ...cpuOf('binary', r) }),
};

/** Server memory before and after 1,000 clients spread over several client processes connect and sit idle. */
async function runIdle(impl, round) {
  const params = config.idle;
  const { server, socketPath } = await startServer(impl, 'idle', round);
  const clients = [];
  try {
    await sleep(200);
    const before = await ask(server, 'memory');
    const perProcess = Math.ceil(params.clients / params.processes);
    for (let offset = 0; offset < params.clients; offset += perProcess) {
      const count = Math.min(perProcess, params.clients - offset);
      const args = [impl, socketPath, 'idle', JSON.stringify({ count, offset, concurrency: params.concurrency })];
      clients.push(startChild(CLIENT, args, childArgv('client', impl, 'idle', round), pin.client));
    }
    await Promise.all(clients.map((client) => nextMessage(client, 'connected', 120_000)));
    const deadline = Date.now() + 30_000;
    let connected = 0;
    while ((connected = (await ask(server, 'connections')).count) < params.clients) {
      if (Date.now() > deadline) throw new Error(`only ${connected} of ${params.clients} clients connected`);
      await sleep(50);
    }
    await sleep(params.settleMs);
    const after = await ask(server, 'memory');
    return { idleRssMB: (after.rss - before.rss) / 1e6, idleHeapMB: (after.heapUsed - before.heapUsed) / 1e6, connected };
  } finally {
    await Promise.all(clients.map((client) => stopChild(client)));
    await stopChild(server);
  }
}

/** Starts client processes for `clients` clients of `scenario`, `processes` of them; resolves when all have connected. */
async function startClientProcesses(impl, socketPath, scenario, round, params, clients) {
  const children = [];
  const perProcess = Math.ceil(clients / params.processes);
  for (let offset = 0; offset < clients; offset += perProcess) {
    const count = Math.min(perProcess, clients - offset);
    const args = [impl, socketPath, scenario, JSON.stringify({ count, offset, concurrency: params.concurrency })];
    children.push(startChild(CLIENT, args, childArgv('client', impl, scenario, round), pin.client));
  }
  return children;
}

async function waitForConnections(server, clients, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let connected = 0;
  while ((connected = (await ask(server, 'connections')).count) < clients) {
    if (Date.now() > deadline) throw new Error(`only ${connected} of ${clients} clients connected`);
    await sleep(50);
  }
}

const medianOf = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/**
 * `clients` clients over several processes. With `withBroadcasts`: heap per
 * idle client, broadcasts (first and last receipt, time the server's loop
 * was blocked), discover(). Always: the disconnect storm, every client with
 * `inFlightPerClient` unanswered requests, its processes killed at once.
 */
async function scaleOnce(impl, round, clients, withBroadcasts) {
  const params = config.scale;
  const { server, socketPath } = await startServer(impl, 'scale', round);
  let children = [];
  try {
    await sleep(200);
    const before = await ask(server, 'memory');
    children = await startClientProcesses(impl, socketPath, 'scale', round, params, clients);
    await Promise.all(children.map((child) => nextMessage(child, 'connected', 600_000)));
    await waitForConnections(server, clients, 60_000);
    await sleep(params.settleMs);
    const after = await ask(server, 'memory');
    const out = { heapKBPerClient: (after.heapUsed - before.heapUsed) / clients / 1e3, rssKBPerClient: (after.rss - before.rss) / clients / 1e3 };
    if (withBroadcasts) {
      const first = [];
      const last = [];
      const blocked = [];
      const loopDelay = [];
      await ask(server, 'loop-delay'); // resets the histogram
      await sleep(100);
      for (let seq = 1; seq <= params.broadcasts; seq += 1) {
        const receipts = children.map((child) => nextMessage(child, 'received', 120_000));
        const sent = await ask(server, 'broadcast', 120_000, { seq });
        const got = await Promise.all(receipts);
        first.push((Math.min(...got.map((r) => r.firstNs)) - sent.startNs) / 1e6);
        last.push((Math.max(...got.map((r) => r.lastNs)) - sent.startNs) / 1e6);
        blocked.push(sent.blockedMs);
        loopDelay.push((await ask(server, 'loop-delay')).maxMs);
        await sleep(100);
      }
      Object.assign(out, { firstMs: medianOf(first), lastMs: medianOf(last), blockedMs: medianOf(blocked), loopDelayMaxMs: medianOf(loopDelay) });
      const onServer = await ask(server, 'discover', 60_000);
      const fromClient = await ask(children[0], 'discover', 60_000);
      Object.assign(out, { discoverMs: onServer.ms, discoverRoundTripMs: fromClient.ms, discoverKB: fromClient.bytes === null ? null : fromClient.bytes / 1e3 });
    }
    const perClient = params.inFlightPerClient;
    await Promise.all(children.map((child) => ask(child, 'hang', 60_000, { perClient })));
    const deadline = Date.now() + 60_000;
    while ((await ask(server, 'hanging')).count < clients * perClient) {
      if (Date.now() > deadline) throw new Error('the requests of the storm did not all reach the server');
      await sleep(50);
    }
    const armed = nextMessage(server, 'storm-armed', 10_000);
    const storm = nextMessage(server, 'storm', 300_000);
    server.send({ type: 'storm' });
    await armed;
    for (const child of children) child.kill('SIGKILL');
    const { ms, cpuMs } = await storm;
    return { ...out, stormMs: ms, stormCpuMs: cpuMs };
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map((child) => waitExit(child)));
    await stopChild(server);
  }
}

/**
 * The server holds one descriptor per client. Node raises its soft limit to
 * the hard limit when it starts, and children inherit the runner's, so what
 * /proc/self/limits shows here is what the server gets; below N, say what to do.
 */
function checkDescriptorLimit(clients) {
  const limits = readFileSync('/proc/self/limits', 'utf8').match(/^Max open files\s+(\d+|unlimited)/m);
  const soft = limits?.[1] === 'unlimited' ? Infinity : Number(limits?.[1] ?? Infinity);
  const needed = clients + 256;
  if (soft < needed) throw new Error(`the scale scenario needs ${needed} file descriptors in the server process, the soft limit is ${soft}: raise the hard limit (\`ulimit -Hn\`, then \`ulimit -n ${needed}\`) or run with fewer clients`);
}

async function runScale(impl, round) {
  const params = config.scale;
  if (process.platform === 'linux') checkDescriptorLimit(params.clients);
  const large = await scaleOnce(impl, round, params.clients, true);
  const fewer = params.clients / params.stormDivisor;
  const small = await scaleOnce(impl, round, fewer, false);
  return {
    scaleFirstMs: large.firstMs,
    scaleLastMs: large.lastMs,
    scaleBlockedMs: large.blockedMs,
    scaleLoopDelayMs: large.loopDelayMaxMs,
    scaleHeapKB: large.heapKBPerClient,
    scaleRssKB: large.rssKBPerClient,
    stormMs: large.stormMs,
    stormCpuMs: large.stormCpuMs,
    stormFewerCpuMs: small.stormCpuMs,
    // Linear in N: CPU per client the same at N and N/10, so 1.0; quadratic: about stormDivisor.
    stormCpuPerClientRatio: large.stormCpuMs / params.clients / (small.stormCpuMs / fewer),
    stormTimePerClientRatio: large.stormMs / params.clients / (small.stormMs / fewer),
    discoverMs: large.discoverMs,
    discoverRoundTripMs: large.discoverRoundTripMs,
    discoverKB: large.discoverKB,
  };
}

/** Browser mode exists only in ipcio: the other implementations have no row. */
async function runBrowser(impl, round) {
  if (impl !== 'ipcio') return {};
  const socketPath = `${dir}/browser-${round}.sock`;
  return measureBrowser({ params: config.browser, socketPath, execArgv: (role) => childArgv(role, impl, 'browser', round) });
}

/** Streams exist only in ipcio: the other implementations have no row (raw node:net is measured inside the scenario). */
async function runStreams(impl, round) {
  if (impl !== 'ipcio') return {};
  const socketPath = `${dir}/streams-${round}.sock`;
  return measureStreams({ params: config.streams, socketPath, execArgv: (role) => childArgv(role, impl, 'streams', round) });
}

async function measure(impl, scenario, round) {
  if (scenario === 'streams') return runStreams(impl, round);
  if (scenario === 'idle') return runIdle(impl, round);
  if (scenario === 'scale') return runScale(impl, round);
  if (scenario === 'browser') return runBrowser(impl, round);
  return RESULT_TO_METRICS[scenario](await runPair(impl, scenario, round));
}

async function main() {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (flags.profile) mkdirSync(flags.profile, { recursive: true });
  const info = machine();
  console.log(`# ipcio benchmark\n`);
  console.log(`machine: ${info.cores} cores, ${info.model}, ${info.ramGiB.toFixed(1)} GiB RAM, Node ${info.node}, ${info.platform}`);
  console.log(`revision: ${revision(here('..'))}; load average at start: ${load()}`);
  console.log(`command: node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trimEnd());
  console.log(`mode: ${flags.quick ? 'quick' : 'full'}, ${rounds} round(s), order per round: ${SCENARIOS.join(' → ')}, each as ${IMPLS.join(', ')}; pinning: ${flags.pin}`);
  console.log(`parameters: ${JSON.stringify(Object.fromEntries(SCENARIOS.map((s) => [s, config[s]])))}`);
  if (!flags.quick) console.log(`fewer messages for: ${JSON.stringify(FEWER_FOR)}`);
  console.log('');
  const results = Object.fromEntries(IMPLS.map((impl) => [impl, []]));
  const failures = [];
  for (let round = 1; round <= rounds; round += 1) {
    for (const scenario of SCENARIOS) {
      for (const impl of IMPLS) {
        const started = Date.now();
        try {
          const metrics = await measure(impl, scenario, round);
          if (Object.keys(metrics).length === 0) continue; // no such scenario for this implementation
          results[impl][round - 1] = { ...results[impl][round - 1], ...metrics };
          const shown = Object.entries(metrics).filter(([key]) => !key.endsWith('CpuUs')).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ');
          console.log(`round ${round}/${rounds}  ${scenario.padEnd(11)} ${impl.padEnd(8)} ${shown}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        } catch (error) {
          failures.push({ round, scenario, impl, error: String(error.message ?? error) });
          console.log(`round ${round}/${rounds}  ${scenario.padEnd(11)} ${impl.padEnd(8)} FAILED: ${error.message ?? error}`);
        }
      }
    }
  }
  console.log(`\nload average at end: ${load()}`);
  const rows = summarize(results, IMPLS, SCENARIOS);
  console.log(`\n## Medians over ${rounds} round(s); ratios are medians of per-round ratios to raw from the same round\n`);
  console.log(table(rows.filter((row) => !row.metric.cpu), IMPLS));
  const cpuRows = rows.filter((row) => row.metric.cpu);
  if (cpuRows.length > 0) console.log(`\n## Where the time goes: CPU time (user + system) per message, medians\n\n${table(cpuRows, IMPLS)}`);
  console.log(`\n## Per-round values\n\n${perRound(rows.filter((row) => !row.metric.cpu), IMPLS)}`);
  const verdict = verdicts(rows, IMPLS);
  if (verdict) console.log(`\n## ipcio against the issue's targets\n\n${verdict}`);
  if (failures.length > 0) console.log(`\n## Failed runs\n\n${failures.map((f) => `- round ${f.round} ${f.scenario} ${f.impl}: ${f.error}`).join('\n')}`);
  if (flags.json) writeFileSync(flags.json, JSON.stringify({ machine: info, rounds, config, results, failures }, null, 2));
  return failures.length === 0 ? 0 : 1;
}

const cleanUp = () => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}
process.exitCode = await main();
