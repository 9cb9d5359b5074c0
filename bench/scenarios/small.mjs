// One-way small messages (a 64-byte string each), client to server.
import { timedPump } from '../lib/pump.mjs';

export async function run({ connect, path, params }) {
  const client = await connect({ path, name: 'small' });
  const payload = 'x'.repeat(64);
  const { seconds, messages, clientCpuUsPerMessage, serverCpuUsPerMessage } = await timedPump(client, { ...params, send: () => client.emit('tick', payload) });
  await client.close();
  return { msgsPerSecond: messages / seconds, clientCpuUsPerMessage, serverCpuUsPerMessage };
}
