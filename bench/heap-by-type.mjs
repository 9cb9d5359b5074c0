// Where a server's heap per connected client goes: heap snapshots before and
// after N idle clients connect (from one client process), diffed by
// constructor (objects, closures, arrays, strings), largest growth first.
//   node --expose-gc bench/heap-by-type.mjs [impl=ipcio] [clients=1000] [rows=25]
import { getHeapSnapshot } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { mkdirSync, rmSync } from 'node:fs';
import { nextMessage, sleep, startChild, stopChild } from './lib/children.mjs';

const [impl = 'ipcio', clientsArg = '1000', rowsArg = '25'] = process.argv.slice(2);
const clients = Number(clientsArg);
const dir = `/tmp/ipcio-heap-${process.pid}`;
mkdirSync(dir, { recursive: true, mode: 0o700 });
const socketPath = `${dir}/heap.sock`;
const { startServer } = await import(`./impl/${impl}.mjs`);
const server = await startServer({ path: socketPath, handlers: { emit: {}, request: {} } });

/** Self size per "type:name" in a snapshot taken after full garbage collections. */
async function sizesByType() {
  for (let i = 0; i < 3; i += 1) globalThis.gc?.();
  const chunks = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk);
  const snapshot = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sizes = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt]];
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '(string)' : snapshot.strings[snapshot.nodes[i + nameAt]];
    const key = `${type}:${name}`;
    const entry = sizes.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += snapshot.nodes[i + sizeAt];
    entry.count += 1;
    sizes.set(key, entry);
  }
  return sizes;
}

if (!globalThis.gc) throw new Error('run with node --expose-gc');
const before = await sizesByType();
const client = startChild(fileURLToPath(new URL('./client.mjs', import.meta.url)), [impl, socketPath, 'idle', JSON.stringify({ count: clients, offset: 0, concurrency: 50 })]);
await nextMessage(client, 'connected', 300_000);
while (server.connections() < clients) await sleep(50);
await sleep(1000);
const after = await sizesByType();
const growth = [...after].map(([key, { bytes, count }]) => ({ key, bytes: bytes - (before.get(key)?.bytes ?? 0), count: count - (before.get(key)?.count ?? 0) }));
const total = growth.reduce((sum, g) => sum + g.bytes, 0);
console.log(`${impl}: ${clients} idle clients, heap snapshot growth ${(total / 1e3).toFixed(0)} KB = ${(total / clients).toFixed(0)} bytes per client`);
console.log('bytes/client  objects/client  type:constructor');
for (const g of growth.sort((a, b) => b.bytes - a.bytes).slice(0, Number(rowsArg))) {
  console.log(`${(g.bytes / clients).toFixed(1).padStart(12)}  ${(g.count / clients).toFixed(2).padStart(14)}  ${g.key}`);
}
await stopChild(client);
await server.close();
rmSync(dir, { recursive: true, force: true });
