// examples/node-server/src/helper.ts: started by server.spawn(), which sets IPCIO_SOCKET, IPCIO_NAME, IPCIO_TOKEN
import { createHash } from 'node:crypto';
import { IpcClient } from 'ipcio';
import { app } from './contract.js';

const hasher = new IpcClient({ contract: app, name: 'hasher' }, {
  hash: ({ data }) => createHash('sha256').update(data.text).digest('hex'), // data is { text: string }; must return string
  // Each yield waits for the caller's credit: a caller that stops reading pauses this loop.
  hashLines: async function* ({ data }) {
    for (const line of data.lines) yield { line, hex: createHash('sha256').update(line).digest('hex').slice(0, 16) };
  },
});
hasher.connect();
hasher.emit('log', 'ready'); // a wrong name or payload is a compile error
