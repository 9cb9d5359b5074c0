// examples/electron-app/helpers/hasher.mjs: started by server.spawn(process.execPath, ['helpers/hasher.mjs'], { name: 'hasher' })
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { IpcClient } from 'ipcio';

const client = new IpcClient({}, {
  hash: async ({ data }) => createHash('sha256').update(await readFile(data.path)).digest('hex'),
});
client.connect();
