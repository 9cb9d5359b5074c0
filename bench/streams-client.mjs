// Client child process for the streams scenario: node streams-client.mjs <socketPath> <role> <json params>.
//   measure:  small items/s as a stream, as emits, as raw frames; 1 MiB binary items MB/s
//   producer: a client whose `flood` generator would yield params.mib items of 1 MiB (1 GiB by default)
//   stopper:  reads params.first items of the producer's flood through the server, then stops reading
import { createConnection } from 'node:net';
import { IpcClient } from '../dist/node/index.js';
import { FrameReader } from './impl/raw-frames.mjs';

const [path, role, json] = process.argv.slice(2);
const params = JSON.parse(json);
const quiet = { debug() {}, info() {}, warn() {}, error: (...args) => console.error(...args) };
const seconds = (started) => Number(process.hrtime.bigint() - started) / 1e9;

async function measure() {
  let received = 0;
  let allReceived;
  const client = new IpcClient({ socketPath: path, name: 'measure', logger: quiet }, {
    item: () => {
      received += 1;
      if (received === params.n) allReceived();
    },
  }).connect();
  await client.ready;

  let started = process.hrtime.bigint();
  let count = 0;
  for await (const item of client.stream('items', { n: params.n }, { window: params.window })) count += item.length > 0 ? 1 : 0;
  const streamItemsPerSecond = count / seconds(started);

  const done = new Promise((resolve) => (allReceived = resolve));
  started = process.hrtime.bigint();
  await client.request('emitItems', { n: params.n }, { timeoutMs: 0 });
  await done;
  const emitItemsPerSecond = params.n / seconds(started);

  started = process.hrtime.bigint();
  await new Promise((resolve, reject) => {
    let frames = 0;
    const socket = createConnection(`${path}.raw`, () => socket.write(String(params.n)));
    const reader = new FrameReader(() => {
      frames += 1;
      if (frames === params.n) {
        socket.destroy();
        resolve();
      }
    });
    socket.on('data', (chunk) => reader.push(chunk));
    socket.on('error', reject);
  });
  const rawItemsPerSecond = params.n / seconds(started);

  started = process.hrtime.bigint();
  let bytes = 0;
  for await (const blob of client.stream('blobs', { n: params.blobs }, { window: params.blobWindow })) bytes += blob.byteLength;
  const streamBinaryMBps = bytes / 1e6 / seconds(started);
  await client.close();
  return { streamItemsPerSecond, emitItemsPerSecond, rawItemsPerSecond, streamBinaryMBps };
}

let yielded = 0;
async function producer() {
  const mib = Buffer.alloc(1024 * 1024, 1);
  const client = new IpcClient({ socketPath: path, name: 'producer', logger: quiet }, {
    flood: async function* ({ data }) {
      for (let i = 0; i < data.mib; i += 1) {
        yielded += 1;
        yield mib;
      }
    },
  }).connect();
  await client.ready;
  process.send({ type: 'ready' });
  return new Promise(() => undefined); // serves until stopped
}

async function stopper() {
  const client = new IpcClient({ socketPath: path, name: 'stopper', logger: quiet }).connect();
  await client.ready;
  const flood = client.streamFrom('producer', 'flood', { mib: params.mib }, { window: params.stallWindow });
  for (let i = 0; i < params.first; i += 1) await flood.next();
  process.send({ type: 'stopped-reading' });
  return new Promise(() => undefined); // holds the stream without reading until stopped
}

process.on('message', (message) => {
  if (message.type === 'yielded') process.send({ type: 'yielded', yielded });
  if (message.type === 'stop') process.exit(0);
});
try {
  if (role === 'measure') process.send({ type: 'result', result: await measure() });
  else if (role === 'producer') await producer();
  else if (role === 'stopper') await stopper();
  process.exit(0);
} catch (error) {
  process.send({ type: 'failed', error: String(error?.stack ?? error) });
  process.exit(1);
}
