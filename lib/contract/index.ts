/**
 * The environment-neutral entry of ipcio (`ipcio/contract`): contracts, their
 * types and the error class, with nothing of Node or Electron behind it. A
 * contract file shared by main, preload, page and helpers imports from here,
 * so a page that imports the contract value pulls in no Node module.
 */
export { defineContract } from '../common/contract.js';
export type {
  AnyContract,
  BroadcastHandler,
  Command,
  CommandMap,
  Contract,
  ContractRef,
  Discovery,
  Handler,
  HandlerCollection,
  HandlerContainer,
  RequestOptions,
  Stream,
  StreamCallOptions,
  StreamHandler,
} from '../common/contract.js';
export { IpcError, ErrorCode, isErrorCode, type WireError } from '../common/errors.js';
export { PROTOCOL_VERSION } from '../common/messages.js';
export type { PeerWaitOptions } from '../common/peer-wait.js';
