// examples/electron-app/src/main/thumbnailer.ts: started by forkUtility()
import { connectFromUtility } from 'ipcio/utility';
import { app } from '../shared/contract.js';

const client = connectFromUtility({ contract: app, name: 'thumbnailer' }, {
  thumbnail: async ({ data }) => new TextEncoder().encode(`thumbnail of ${data.path}`),
  // Runs only as fast as the reader takes frames; a page that breaks out (or reloads) closes it.
  frames: async function* ({ data, signal }) {
    for (let i = 0; i < data.count && !signal.aborted; i += 1) yield new TextEncoder().encode(`frame ${i} of ${data.path}`);
  },
});
client.emit('log', 'thumbnailer ready');
await client.waitForPeer('hasher', { timeoutMs: 10_000 });
console.log(await client.requestFrom('hasher', 'hash', { path: process.argv[1] ?? '' }));
