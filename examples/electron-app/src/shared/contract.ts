// examples/electron-app/src/shared/contract.ts
import { defineContract, type Command, type Stream } from 'ipcio/contract';

export interface App {
  server: {
    log: Command<string>;
    settings: Command<undefined, { theme: 'dark' | 'light' }>;
  };
  clients: {
    'main-window': { selection: Command<undefined, string[]> };
    hasher: { hash: Command<{ path: string }, string> };
    'py-hasher': { hash: Command<{ path: string }, string> };
    thumbnailer: {
      thumbnail: Command<{ path: string }, Uint8Array>;
      // A stream: the handler is a generator; the page reads it with for await.
      frames: Stream<{ path: string; count: number }, Uint8Array>;
    };
  };
  broadcasts: { load: { cpu: number } };
}

export const app = defineContract<App>();
