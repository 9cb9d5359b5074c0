// One-way 1 MiB binary payloads (a Buffer), client to server.
import { randomFillSync } from 'node:crypto';
import { timedPump } from '../lib/pump.mjs';
import { MIB, mbPerSecond } from '../lib/stats.mjs';

export async function run({ connect, path, params }) {
  const client = await connect({ path, name: 'binary' });
  const bytes = randomFillSync(Buffer.allocUnsafe(MIB));
  const result = await timedPump(client, { ...params, send: () => client.emitBytes('bytes', bytes) });
  await client.close();
  if (result.bytes !== params.total * MIB) throw new Error(`server counted ${result.bytes} bytes`);
  const { clientCpuUsPerMessage, serverCpuUsPerMessage } = result;
  return { mbPerSecond: mbPerSecond(result.bytes, result.seconds), clientCpuUsPerMessage, serverCpuUsPerMessage };
}
