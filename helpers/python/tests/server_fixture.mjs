// A real ipcio server for the Python client's live tests.
//
//   node server_fixture.mjs <socketPath> <token> [maxFrameSize]
//
// Prints READY once listening. Then every stdout line is one JSON event
// ({"event": ...}) and every stdin line one JSON command ({"op": ...}), so the
// Python test can drive server.request / emit / broadcast and watch what the
// server's handlers saw. Bytes cross stdin/stdout as {"$hex": "..."}.
import { createInterface } from 'node:readline';
import { IpcServer } from '../../../dist/node/index.js';

const [socketPath, token, maxFrameSize] = process.argv.slice(2);

function toJson(value) {
  if (value instanceof Uint8Array) return { $hex: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v)]));
  }
  return value;
}

function fromJson(value) {
  if (Array.isArray(value)) return value.map(fromJson);
  if (value !== null && typeof value === 'object') {
    if (typeof value.$hex === 'string') return Buffer.from(value.$hex, 'hex');
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJson(v)]));
  }
  return value;
}

const out = (event) => process.stdout.write(`${JSON.stringify(toJson(event))}\n`);
const wireError = (e) => ({ code: e?.code, message: e?.message, remoteCode: e?.remoteCode });

const handlers = {
  echo: (c) => c.data,
  whoami: (c) => ({ client_name: c.client_name, command: c.command, uuid: c.uuid }),
  fail: () => {
    const error = new Error('it failed');
    error.code = 'E_FIXTURE';
    throw error;
  },
  // Resolves only when the requester cancels, times out or goes away.
  slow: (c) =>
    new Promise((resolve) => {
      out({ event: 'slow-started', data: c.data });
      c.signal.addEventListener('abort', () => {
        out({ event: 'slow-aborted', data: c.data, reason: c.signal.reason?.code });
        resolve('aborted');
      });
    }),
  // Echoes the payload and says what arrived, so a test sees blobs became bytes here.
  binEcho: (c) => ({
    echoed: c.data,
    blobIsBytes: c.data?.blob instanceof Uint8Array,
    blobLength: c.data?.blob?.length,
  }),
  note: (c) => {
    out({ event: 'emit', cmd: c.command, from: c.client_name, data: c.data });
  },
};

const options = { socketPath, token, name: 'fixture' };
if (maxFrameSize) options.maxFrameSize = Number(maxFrameSize);
const server = new IpcServer(options, handlers);
server.on('client-connected', (info) => out({ event: 'connected', name: info.name, uuid: info.uuid }));
server.on('client-disconnected', (info) =>
  out({ event: 'disconnected', name: info.name, reason: info.reason?.code }),
);
server.on('error', (e) => out({ event: 'server-error', error: wireError(e) }));

async function run(command) {
  const { op, tag } = command;
  const data = fromJson(command.data);
  try {
    if (op === 'request') {
      const controller = new AbortController();
      if (command.abortAfterMs !== undefined) setTimeout(() => controller.abort(), command.abortAfterMs);
      const options = { signal: controller.signal };
      if (command.timeoutMs !== undefined) options.timeoutMs = command.timeoutMs;
      const value = await server.request(command.client, command.cmd, data, options);
      out({ event: 'result', tag, ok: true, value });
    } else if (op === 'emit') {
      server.emit(command.client, command.cmd, data);
    } else if (op === 'broadcast') {
      server.broadcast(command.cmd, data);
    } else if (op === 'clients') {
      out({ event: 'result', tag, ok: true, value: server.clients() });
    } else if (op === 'close') {
      await server.close();
      out({ event: 'closed' });
      process.exit(0);
    } else {
      throw new Error(`unknown op ${op}`);
    }
  } catch (e) {
    out({ event: 'result', tag, ok: false, error: wireError(e) });
  }
}

server.start();
try {
  await server.ready;
} catch (e) {
  out({ event: 'start-failed', error: wireError(e) });
  process.exit(1);
}
process.stdout.write('READY\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim()) void run(JSON.parse(line));
});
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
