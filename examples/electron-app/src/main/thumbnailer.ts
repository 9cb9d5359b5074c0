// examples/electron-app/src/main/thumbnailer.ts: started by forkUtility()
import { connectFromUtility } from 'ipcio/utility';
import { app } from '../shared/contract.js';

const client = connectFromUtility({ contract: app, name: 'thumbnailer' }, {
  thumbnail: async ({ data }) => new TextEncoder().encode(`thumbnail of ${data.path}`),
});
client.emit('log', 'thumbnailer ready');
await client.waitForPeer('hasher', { timeoutMs: 10_000 });
console.log(await client.requestFrom('hasher', 'hash', { path: process.argv[1] ?? '' }));
