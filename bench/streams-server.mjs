// Server child process for the streams scenario: node streams-server.mjs <socketPath>.
// An ipcio server whose handlers produce the same small items three ways (a
// stream, emits, raw frames on a node:net socket next to it), plus 1 MiB
// binary items; it reports its memory when the parent asks.
import { createServer } from 'node:net';
import { IpcServer } from '../dist/node/index.js';
import { encodeFrame, FrameWriter } from './impl/raw-frames.mjs';

const [path] = process.argv.slice(2);
const quiet = { debug() {}, info() {}, warn() {}, error: (...args) => console.error(...args) };
const SMALL = 'x'.repeat(64);
const MIB = Buffer.alloc(1024 * 1024, 7);

const server = new IpcServer({ socketPath: path, logger: quiet }, {
  items: async function* ({ data }) {
    for (let i = 0; i < data.n; i += 1) yield SMALL;
  },
  blobs: async function* ({ data }) {
    for (let i = 0; i < data.n; i += 1) yield MIB;
  },
  // The same items as one-way messages to the asker, as fast as the server can queue them.
  emitItems: ({ data, client_name }) => {
    for (let i = 0; i < data.n; i += 1) server.emit(client_name, 'item', SMALL);
    return data.n;
  },
}).start();
await server.ready;

// Raw node:net with ipcio's framing: a connection gets n frames of the same emit, written with backpressure.
const raw = createServer((socket) => {
  socket.once('data', (chunk) => {
    const n = Number(chunk.toString());
    const writer = new FrameWriter(socket);
    const frame = encodeFrame({ kind: 'emit', cmd: 'item', data: SMALL });
    let sent = 0;
    const pump = () => {
      while (sent < n) {
        writer.send(frame);
        sent += 1;
        if (sent % 1000 === 0 && socket.writableNeedDrain) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  socket.on('error', () => undefined);
});
await new Promise((resolve) => raw.listen(`${path}.raw`, resolve));

process.on('message', async (message) => {
  if (message.type === 'memory') {
    globalThis.gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send({ type: 'memory', rss, heapUsed, external, arrayBuffers });
  } else if (message.type === 'stop') {
    raw.close();
    await server.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
