// examples/electron-app/src/preload/index.ts: bundled by electron-vite into out/preload/index.cjs
import { exposeIpcio } from 'ipcio/preload';
import { app } from '../shared/contract.js';

exposeIpcio({ contract: app, name: 'main-window' });
