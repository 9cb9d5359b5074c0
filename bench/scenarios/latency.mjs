// Round-trip latency: sequential 64-byte requests, answered with the same 64 bytes.
import { cpuMicros } from '../lib/pump.mjs';
import { percentile } from '../lib/stats.mjs';

export async function run({ connect, path, params }) {
  const client = await connect({ path, name: 'latency' });
  const payload = 'x'.repeat(64);
  for (let i = 0; i < params.warmup; i += 1) await client.request('echo', payload);
  const samples = new Array(params.requests);
  const serverBefore = await client.request('sync', null);
  const clientCpuBefore = cpuMicros();
  for (let i = 0; i < params.requests; i += 1) {
    const start = process.hrtime.bigint();
    const answer = await client.request('echo', payload);
    samples[i] = Number(process.hrtime.bigint() - start) / 1000;
    if (answer !== payload) throw new Error('echo returned something else');
  }
  const clientCpuUs = cpuMicros() - clientCpuBefore;
  const serverAfter = await client.request('sync', null);
  await client.close();
  return {
    medianUs: percentile(samples, 50),
    p99Us: percentile(samples, 99),
    clientCpuUsPerMessage: clientCpuUs / params.requests,
    serverCpuUsPerMessage: (serverAfter.cpuUs - serverBefore.cpuUs) / params.requests,
  };
}
