// examples/node-server/src/contract.ts
import { defineContract, type Command, type Stream } from 'ipcio/contract';

export const app = defineContract<{
  server: { log: Command<string> };
  clients: {
    hasher: {
      hash: Command<{ text: string }, string>;
      // A stream: the handler is a generator, the caller loops with for await.
      hashLines: Stream<{ lines: string[] }, { line: string; hex: string }>;
    };
  };
  broadcasts: { load: { cpu: number } };
}>();
