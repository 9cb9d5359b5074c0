// examples/node-server/quick-start.mjs
import { IpcServer, IpcClient } from 'ipcio';

// Main process: a server on this user's private socket for domain "demo".
const server = new IpcServer({ domain: 'demo' }, {
  greet: ({ data, client_name }) => `hello ${data}, from ${client_name}'s server`,
});
server.start();
await server.ready;

// A helper process (here, the same one): a named client with its own handler.
const helper = new IpcClient({ domain: 'demo', name: 'hasher' }, {
  hash: async ({ data }) => {
    const { createHash } = await import('node:crypto');
    return createHash('sha256').update(data).digest('hex');
  },
}).connect();

console.log(await helper.request('greet', 'world'));        // client → server
console.log(await server.request('hasher', 'hash', 'abc')); // server → client
console.log(await helper.discover());                       // who is here

await helper.close();
await server.close();
