// One-way 1 MiB JSON strings (ASCII, so 1 MiB of UTF-8), client to server.
import { timedPump } from '../lib/pump.mjs';
import { MIB, mbPerSecond } from '../lib/stats.mjs';

export async function run({ connect, path, params }) {
  const client = await connect({ path, name: 'json' });
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let text = '';
  for (let i = 0; i < 4096; i += 1) text += alphabet[(i * 7919) % alphabet.length];
  text = text.repeat(MIB / 4096);
  const { seconds, bytes, clientCpuUsPerMessage, serverCpuUsPerMessage } = await timedPump(client, { ...params, send: () => client.emit('text', text) });
  await client.close();
  if (bytes !== params.total * MIB) throw new Error(`server counted ${bytes} characters`);
  return { mbPerSecond: mbPerSecond(bytes, seconds), clientCpuUsPerMessage, serverCpuUsPerMessage };
}
