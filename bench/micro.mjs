// Where ipcio's per-message CPU goes, layer by layer, in one process and
// without sockets: the frame codec against the raw one, the server's routing
// and handler call, and the client's request bookkeeping, each behind an
// in-memory port. Run after `npm run build`:  node bench/micro.mjs
// (IPCIO_DIST=file:///other/dist/ measures another build.)
import { encodeFrame as rawEncode, FrameReader } from './impl/raw-frames.mjs';

const dist = process.env.IPCIO_DIST ?? new URL('../dist/', import.meta.url).href;
const { encodeFrame, FrameDecoder } = await import(`${dist}common/frame-codec.js`);
const { ServerCore } = await import(`${dist}common/server-core.js`);
const { ClientEndpoint } = await import(`${dist}common/client-endpoint.js`);

const quiet = { debug() {}, info() {}, warn() {}, error: (...args) => console.error(...args) };
const payload = 'x'.repeat(64);
const ROUNDS = 7;

/** Median over ROUNDS of the ns per operation of `body(n)`, which does n operations (sync or async). */
async function nsPerOp(body, n) {
  await body(Math.min(n, 20_000)); // warm-up
  const results = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = process.hrtime.bigint();
    await body(n);
    results.push(Number(process.hrtime.bigint() - start) / n);
  }
  return results.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
}

/** A Port that keeps what is sent to it and lets the test play the other side. */
class MemoryPort {
  socket = null;
  sent = 0;
  last = undefined;
  waiter = undefined;
  attach(receiver) {
    this.receiver = receiver;
  }
  send(message) {
    this.sent += 1;
    this.last = message;
    if (this.waiter && this.sent >= this.waiter.count) this.waiter.resolve();
  }
  close() {}
  /** Resolves once `count` messages in total were sent. */
  until(count) {
    return this.sent >= count ? Promise.resolve() : new Promise((resolve) => (this.waiter = { count, resolve }));
  }
}

const rows = [];
/** MICRO_ONLY=text measures only the rows whose label contains it (handy under --cpu-prof). */
const only = process.env.MICRO_ONLY;
const measure = async (label, body, n) => {
  if (!only || label.includes(only)) rows.push([label, await nsPerOp(body, n)]);
};

// --- codec
const emitMessage = () => ({ kind: 'emit', cmd: 'tick', data: payload });
await measure('encode small emit: ipcio encodeFrame + concat', (n) => {
  for (let i = 0; i < n; i += 1) Buffer.concat(encodeFrame(emitMessage()).chunks);
}, 200_000);
await measure('encode small emit: raw encodeFrame', (n) => {
  for (let i = 0; i < n; i += 1) rawEncode(emitMessage());
}, 200_000);
const batch = Buffer.concat(Array.from({ length: 1000 }, () => rawEncode(emitMessage())[0]));
await measure('decode small emit: ipcio FrameDecoder (incl. validation)', (n) => {
  const decoder = new FrameDecoder({ maxFrameSize: 64 * 1024 * 1024, allocate: (size) => Buffer.allocUnsafe(size) });
  for (let i = 0; i < n / 1000; i += 1) decoder.push(batch);
}, 200_000);
await measure('decode small emit: raw FrameReader', (n) => {
  const reader = new FrameReader(() => undefined);
  for (let i = 0; i < n / 1000; i += 1) reader.push(batch);
}, 200_000);

// --- server: routing and handler call, behind a memory port
const server = new ServerCore({ logger: quiet }, { tick: () => undefined, echo: ({ data }) => data });
const serverPort = new MemoryPort();
server.accept(serverPort);
serverPort.receiver.onMessage({ kind: 'hello', version: 1, name: 'bench' });
await measure('server: emit routed to its handler (ServerCore)', (n) => {
  for (let i = 0; i < n; i += 1) serverPort.receiver.onMessage({ kind: 'emit', cmd: 'tick', data: payload });
}, 200_000);
let nextId = 1;
await measure('server: request answered (ServerCore, batches of 1000)', async (n) => {
  for (let done = 0; done < n; done += 1000) {
    const target = serverPort.sent + 1000;
    for (let i = 0; i < 1000; i += 1) serverPort.receiver.onMessage({ kind: 'request', id: nextId++, cmd: 'echo', data: payload });
    await serverPort.until(target);
  }
}, 100_000);

// --- client: emit and request bookkeeping, behind a memory port
const clientPort = new MemoryPort();
const client = new ClientEndpoint(async () => clientPort, { logger: quiet, name: 'bench' }).connect();
await clientPort.until(1);
clientPort.receiver.onMessage({ kind: 'welcome', version: 1, name: 'bench', uuid: 'u', session: 's', serverName: 'server', maxFrameSize: 64 * 1024 * 1024 });
await client.ready;
await measure('client: emit handed to the port (ClientEndpoint)', (n) => {
  for (let i = 0; i < n; i += 1) client.emit('tick', payload);
}, 200_000);
await measure('client: request + response, sequential (ClientEndpoint)', async (n) => {
  for (let i = 0; i < n; i += 1) {
    const answer = client.request('echo', payload);
    clientPort.receiver.onMessage({ kind: 'response', id: clientPort.last.id, data: payload });
    await answer;
  }
}, 100_000);
const pending = new Map();
let rawId = 1;
await measure('client: request + response, sequential (raw: Map of resolvers)', async (n) => {
  for (let i = 0; i < n; i += 1) {
    const id = rawId++;
    const answer = new Promise((resolve) => pending.set(id, resolve));
    const resolve = pending.get(id);
    pending.delete(id);
    resolve(payload);
    await answer;
  }
}, 100_000);

// --- single operations the paths above perform once per message
await measure('new AbortController() (+ .signal)', (n) => {
  for (let i = 0; i < n; i += 1) void new AbortController().signal;
}, 200_000);
const fields = { data: payload, client_name: 'bench', uuid: 'u', socket: null, server: null };
const signal = new AbortController().signal;
const kept = [];
await measure('handler container as built today: { ...fields, command, signal }', (n) => {
  for (let i = 0; i < n; i += 1) kept[i & 1023] = { ...fields, command: 'tick', signal };
}, 200_000);
await measure('the same container written out field by field', (n) => {
  for (let i = 0; i < n; i += 1) {
    const f = fields;
    kept[i & 1023] = { data: f.data, client_name: f.client_name, uuid: f.uuid, socket: f.socket, server: f.server, command: 'tick', signal };
  }
}, 200_000);
await measure('setTimeout + clearTimeout (a request timer)', (n) => {
  for (let i = 0; i < n; i += 1) clearTimeout(setTimeout(() => undefined, 30_000));
}, 200_000);

await client.close();
await server.close();
const width = Math.max(...rows.map(([label]) => label.length));
console.log(`node ${process.version}; median of ${ROUNDS} runs\n`);
for (const [label, ns] of rows) console.log(`${label.padEnd(width)}  ${(ns / 1000).toFixed(2).padStart(6)} µs/op`);
