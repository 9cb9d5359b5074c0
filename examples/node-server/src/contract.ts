// examples/node-server/src/contract.ts
import { defineContract, type Command } from 'ipcio/contract';

export const app = defineContract<{
  server: { log: Command<string> };
  clients: { hasher: { hash: Command<{ text: string }, string> } };
  broadcasts: { load: { cpu: number } };
}>();
