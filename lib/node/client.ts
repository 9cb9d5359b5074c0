import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import type { AnyContract, Contract } from '../common/contract.js';
import { ClientEndpoint, type ClientEndpointOptions, type ClientHandlers } from '../common/client-endpoint.js';
import { IpcError } from '../common/errors.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../common/frame-codec.js';
import type { Port } from '../common/port.js';
import { checkEncoding } from './encoding.js';
import { watchParentLifeline } from './parent-lifeline.js';
import { checkDomain, checkPrivateDir, checkSocketPathLength, socketPathFor } from './socket-path.js';
import { SocketPort } from './socket-port.js';

export interface IpcClientOptions<C extends Contract, N extends string> extends ClientEndpointOptions<C, N> {
  domain?: string;
  /** Kept for the seed's sake; only UTF-8 is accepted. */
  encoding?: string;
  /** Connect here instead of the domain's socket in the per-user directory. */
  socketPath?: string;
}

/**
 * The ipcio client over a local socket: the seed's Client. Started by the
 * supervisor, it finds its socket, name and token in IPCIO_SOCKET,
 * IPCIO_NAME and IPCIO_TOKEN when the options leave them out.
 */
export class IpcClient<C extends Contract = AnyContract, N extends string = string> extends ClientEndpoint<C, N> {
  readonly socketPath: string;

  constructor(options: IpcClientOptions<C, N> = {}, handlers?: NoInfer<ClientHandlers<C, N>>) {
    checkEncoding(options.encoding);
    // An empty variable counts as unset, as a shell's `IPCIO_NAME=` means.
    const env = (key: string): string | undefined => process.env[key] || undefined;
    const given = options.socketPath ?? (options.domain === undefined ? env('IPCIO_SOCKET') : undefined);
    const socketPath = given ?? socketPathFor(checkedDomain(options.domain));
    checkSocketPathLength(socketPath);
    const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    // A path derived from the domain lives in the per-user directory: check it is still ours before each connect.
    const privateDir = given === undefined && process.platform !== 'win32' ? dirname(socketPath) : undefined;
    // Set once `this` exists; the ports are only opened after that.
    const undecodable = { report: (_error: IpcError): void => undefined };
    super(() => openSocketPort(socketPath, maxFrameSize, privateDir, (error) => undecodable.report(error)), {
      ...options,
      maxFrameSize,
      name: options.name ?? (env('IPCIO_NAME') as N | undefined),
      token: options.token ?? env('IPCIO_TOKEN'),
    }, handlers);
    this.socketPath = socketPath;
    // One message this client cannot decode is skipped and reported (the error event), never a reason to drop the connection.
    undecodable.report = (error) => this.reportError(new IpcError(error.code, `skipped a message from the server that could not be decoded: ${error.message}`));
    // The supervised helper itself (its name from IPCIO_NAME) stops when main dies, however main died.
    if (options.name === undefined && env('IPCIO_NAME') !== undefined) watchParentLifeline();
  }
}

function checkedDomain(domain: string | undefined): string {
  const value = domain ?? 'default';
  checkDomain(value);
  return value;
}

function openSocketPort(path: string, maxFrameSize: number, privateDir: string | undefined, onUndecodable: (error: IpcError) => void): Promise<Port> {
  return new Promise((resolve, reject) => {
    if (privateDir !== undefined) checkPrivateDir(privateDir); // throws UNSAFE_SOCKET_DIR: the promise rejects
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(new SocketPort(socket, { maxFrameSize, onUndecodable }));
    });
    socket.once('error', reject);
  });
}
