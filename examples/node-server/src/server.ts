// examples/node-server/src/server.ts
import { join } from 'node:path';
import { IpcServer } from 'ipcio';
import { app } from './contract.js';

const server = new IpcServer({ contract: app, domain: `example-${process.pid}` }, {
  log: ({ data, client_name }) => console.log(`[${client_name}] ${data}`),
});
server.start();
await server.ready;

// Node runs the helper: process.execPath is this very node binary.
server.spawn(process.execPath, [join(import.meta.dirname, 'helper.js')], { name: 'hasher' });
await server.waitForPeer('hasher', { timeoutMs: 10_000 });

console.log('sha256 of abc:', await server.request('hasher', 'hash', { text: 'abc' }));
// Items arrive as the helper yields them; `break` would cancel the stream and run the generator's finally.
for await (const { line, hex } of server.stream('hasher', 'hashLines', { lines: ['one', 'two'] })) console.log(`${line}: ${hex}`);
console.log('clients:', server.clients());
await server.close();
