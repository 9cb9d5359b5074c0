// Writes helpers/python/ipcio/protocol.json and the constants table of docs/PROTOCOL.md from the
// built lib/common/protocol.ts (run `npm run build` first; `npm run protocol:write` does both).
import { readFileSync, writeFileSync } from 'node:fs';
import { PROTOCOL } from '../dist/common/protocol.js';
import { renderConstantsTable, renderProtocolJson, replaceConstantsTable } from './protocol-files.mjs';

const root = new URL('../', import.meta.url);
writeFileSync(new URL('helpers/python/ipcio/protocol.json', root), renderProtocolJson(PROTOCOL));
const docs = new URL('docs/PROTOCOL.md', root);
writeFileSync(docs, replaceConstantsTable(readFileSync(docs, 'utf8'), renderConstantsTable(PROTOCOL)));
