/**
 * The main-process entry of ipcio (`ipcio/main`): the Node server, plus
 * windows and utility processes as named peers. With ./electron-main-only.ts
 * (which checks where it runs before loading Electron) the only file of the
 * bridge that uses Electron at run time; the logic beside it takes Electron's
 * parts as arguments, so it runs in tests where no Electron binary exists.
 */
import type { BrowserWindow, MessagePortMain, WebContents } from 'electron';
import { electronMain } from './electron-main-only.js';
import type { Contract } from '../common/contract.js';
import { bridgeUtility, type ForkedUtility, type UtilityOptions } from './utility-bridge.js';
import { bridgeWindow, type AttachedWindow, type BridgeServer, type WindowOptions } from './window-bridge.js';

export * from '../node/index.js';
export type { AttachedWindow, BridgeServer, WindowOptions } from './window-bridge.js';
export type { ForkedUtility, UtilityOptions } from './utility-bridge.js';

const { MessageChannelMain, utilityProcess } = electronMain;
const createChannel = (): { port1: MessagePortMain; port2: MessagePortMain } => new MessageChannelMain();

/** Makes a BrowserWindow (or a WebContents) a named peer of `server`; see bridgeWindow. */
export function attachWindow<C extends Contract>(
  server: BridgeServer<C>,
  window: BrowserWindow | WebContents,
  options: NoInfer<WindowOptions<C>>,
): AttachedWindow {
  return bridgeWindow(server, window, options, createChannel);
}

/** Forks `modulePath` as an Electron utility process that joins `server` as a named peer; see bridgeUtility. */
export function forkUtility<C extends Contract>(server: BridgeServer<C>, modulePath: string, options: NoInfer<UtilityOptions<C>>): ForkedUtility {
  return bridgeUtility(server, modulePath, options, {
    fork: (path, args, forkOptions) => utilityProcess.fork(path, args, forkOptions),
    createChannel,
  });
}
