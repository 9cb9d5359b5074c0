// Conformance driver for the Node client (docs/CONFORMANCE.md): one op per
// JSON line on stdin, one reply per line on stdout. Diagnostics go to stderr.
import { createInterface } from 'node:readline';
import { IpcClient } from '../../../dist/node/index.js';

let client;
const received = [];
const errors = [];
const cancelled = [];
const finished = [];

const fromTagged = (value) => {
  if (Array.isArray(value)) return value.map(fromTagged);
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && typeof value.$bytes === 'string') return Buffer.from(value.$bytes, 'base64');
  return Object.fromEntries(keys.map((key) => [key, fromTagged(value[key])]));
};

const toTagged = (value) => {
  if (value === undefined) return null;
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(toTagged);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toTagged(item)]));
};

const wireError = (error) => ({ code: error.code ?? 'DRIVER_ERROR', message: error.message ?? String(error), ...(error.remoteCode ? { remoteCode: error.remoteCode } : {}) });
const requestOptions = (op) => (typeof op.timeoutMs === 'number' ? { timeoutMs: op.timeoutMs } : undefined);
const stderrLogger = { debug: () => undefined, info: () => undefined, warn: console.error, error: console.error };

/**
 * Every handler records what it got. `echo` answers with the data, `fail` throws with the given code,
 * `hang` answers only after 10 s and records the call in `cancelled` if its signal fires first.
 */
function handler(op) {
  return ({ command, client_name, data, signal }) => {
    const call = { command, from: client_name, data: toTagged(data) };
    received.push(call);
    if (op.behavior === 'fail') throw Object.assign(new Error(op.message ?? 'failed'), { code: op.code });
    if (op.behavior === 'hang') {
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, 10_000, null);
        signal.addEventListener('abort', () => {
          cancelled.push(call);
          clearTimeout(timer);
          resolve(null);
        }, { once: true });
      });
    }
    return data;
  };
}

/** A stream handler: `count` yields 0, 1, ... (data.n of them, or forever); `fail` yields "first", then throws with `code`. */
function streamHandler(op) {
  return async function* ({ command, client_name, data, signal }) {
    received.push({ command, from: client_name, data: toTagged(data) });
    let yielded = 0;
    try {
      if (op.behavior === 'fail') {
        yielded = 1;
        yield 'first';
        throw Object.assign(new Error(op.message ?? 'failed'), { code: op.code });
      }
      for (let i = 0; i < (data?.n ?? Infinity); i += 1) {
        yielded = i + 1;
        yield i;
      }
    } finally {
      finished.push({ command, from: client_name, yielded, cancelled: signal.aborted });
    }
  };
}

/** Reads a stream to its end, or `max` items and then breaks (cancelling it). */
async function readStream(op) {
  const options = typeof op.window === 'number' ? { window: op.window } : undefined;
  const stream = op.to === undefined ? client.stream(op.cmd, fromTagged(op.data), options) : client.streamFrom(op.to, op.cmd, fromTagged(op.data), options);
  const items = [];
  for await (const item of stream) {
    items.push(toTagged(item));
    if (items.length >= (op.max ?? Infinity)) break;
  }
  return { items };
}

const ops = {
  async connect(op) {
    client = new IpcClient({ socketPath: op.socket, name: op.name, token: op.token, maxFrameSize: op.maxFrameSize, reconnect: false, logger: stderrLogger });
    client.on('error', (error) => errors.push({ code: error.code, message: error.message }));
    client.connect();
    await client.ready;
    return { name: client.name };
  },
  emit: (op) => void (op.to === undefined ? client.emit(op.cmd, fromTagged(op.data)) : client.emitTo(op.to, op.cmd, fromTagged(op.data))),
  request: async (op) => toTagged(await client.request(op.cmd, fromTagged(op.data), requestOptions(op))),
  request_from: async (op) => toTagged(await client.requestFrom(op.to, op.cmd, fromTagged(op.data), requestOptions(op))),
  broadcast: (op) => void client.broadcast(op.cmd, fromTagged(op.data)),
  discover: () => client.discover(),
  handle: (op) => void client.addHandlers({ [op.cmd]: handler(op) }),
  handle_stream: (op) => void client.addHandlers({ [op.cmd]: streamHandler(op) }),
  stream: readStream,
  finished: () => [...finished],
  received: () => [...received],
  errors: () => [...errors],
  cancelled: () => [...cancelled],
  close: async () => void (await client?.close()),
};

// One op at a time, in order, as the protocol of drivers requires.
let queue = Promise.resolve();
const lines = createInterface({ input: process.stdin });
// stdin ending without a close op (the runner died): leave, closing the client.
lines.on('close', () => void queue.then(() => client?.close()).then(() => process.exit(0)));
lines.on('line', (line) => {
  queue = queue.then(async () => {
    const op = JSON.parse(line);
    let reply;
    try {
      const run = ops[op.op];
      if (!run) throw Object.assign(new Error(`unknown op ${op.op}`), { code: 'UNSUPPORTED_OP' });
      const result = await run(op);
      reply = { id: op.id, ok: true, ...(result === undefined ? {} : { result }) };
    } catch (error) {
      reply = { id: op.id, error: wireError(error) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    if (op.op === 'close') process.exit(0);
  });
});
