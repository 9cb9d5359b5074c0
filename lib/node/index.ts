/** The Node entry of ipcio: server, client, errors and the contract types. */
export { IpcServer, type IpcServerOptions } from './server.js';
export { IpcClient, type IpcClientOptions } from './client.js';
// Everything the environment-neutral entry has: contracts, their types, the error class.
export * from '../contract/index.js';
export type { ClientEvents, ClientHandlers } from '../common/client-endpoint.js';
export type { QueueLimit } from '../common/offline-queue.js';
export type { PeerInfo, ServerEvents, ServerHandlers } from '../common/server-core.js';
export type { Logger } from '../common/logger.js';
export { socketPathFor, defaultSocketDir } from './socket-path.js';
// Browser mode's server side runs in plain Node too, so it lives here; ipcio/main re-exports it.
export { WebSocketTransport, type WebSocketTransportOptions } from './websocket-transport.js';
export { allowPolicy, type AllowSpec } from '../electron-main/allow.js';
export type { PeerPolicy } from '../common/peer.js';
export type { HelperOptions, SupervisedHelper } from './supervisor.js';

import { IpcClient } from './client.js';
import { IpcServer } from './server.js';
/** The seed library's names for the same classes. */
export { IpcServer as Server, IpcClient as Client };
