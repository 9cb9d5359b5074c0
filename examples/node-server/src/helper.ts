// examples/node-server/src/helper.ts: started by server.spawn(), which sets IPCIO_SOCKET, IPCIO_NAME, IPCIO_TOKEN
import { createHash } from 'node:crypto';
import { IpcClient } from 'ipcio';
import { app } from './contract.js';

const hasher = new IpcClient({ contract: app, name: 'hasher' }, {
  hash: ({ data }) => createHash('sha256').update(data.text).digest('hex'), // data is { text: string }; must return string
});
hasher.connect();
hasher.emit('log', 'ready'); // a wrong name or payload is a compile error
