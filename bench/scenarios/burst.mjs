// A burst: `total` small emits sent in one synchronous loop without waiting
// (what a logger or a progress feed does), then one `sync` request. The time
// runs until the server has them all (the sync answer carries its count).
import { cpuMicros } from '../lib/pump.mjs';

async function burst(client, count, payload) {
  for (let i = 0; i < count; i += 1) client.emit('tick', payload);
  return client.request('sync', null);
}

export async function run({ connect, path, params }) {
  const client = await connect({ path, name: 'burst' });
  const payload = 'x'.repeat(64);
  const before = await burst(client, params.warmup, payload);
  const clientCpuBefore = cpuMicros();
  const start = process.hrtime.bigint();
  const after = await burst(client, params.total, payload);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const clientCpuUs = cpuMicros() - clientCpuBefore;
  await client.close();
  const received = after.count - before.count;
  if (received !== params.total) throw new Error(`server received ${received} of ${params.total} messages`);
  return {
    msgsPerSecond: params.total / seconds,
    clientCpuUsPerMessage: clientCpuUs / params.total,
    serverCpuUsPerMessage: (after.cpuUs - before.cpuUs) / params.total,
  };
}
