/**
 * The utility-process entry of ipcio (`ipcio/utility`): inside a process
 * started with forkUtility(), the same client API a Node helper has.
 */
import type { ParentPort } from 'electron';
import { UTILITY_PORT_MESSAGE } from '../common/bridge-channels.js';
import { ClientEndpoint, type ClientEndpointOptions, type ClientHandlers } from '../common/client-endpoint.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import { MessagePortPort, type MessagePortLike } from '../common/message-port-port.js';
import { PortMailbox } from '../common/port-mailbox.js';

export { IpcError, ErrorCode } from '../common/errors.js';
export type { ClientEndpoint, ClientEndpointOptions, ClientHandlers } from '../common/client-endpoint.js';

/** What connectFromUtility needs of process.parentPort; tests pass a stand-in. */
export interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown; ports: readonly MessagePortLike[] }) => void): unknown;
}

/**
 * Connects to main's server over the port forkUtility() sent. Other messages
 * on process.parentPort are left to the app's own listeners. If main ever
 * sends a new port, the endpoint reconnects over it.
 */
export function connectFromUtility<C extends Contract = AnyContract, N extends string = string>(
  options: ClientEndpointOptions<C, N> = {},
  handlers?: NoInfer<ClientHandlers<C, N>>,
  parentPort: ParentPortLike | undefined = (process as { parentPort?: ParentPort }).parentPort,
): ClientEndpoint<C, N> {
  if (!parentPort) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, 'connectFromUtility() runs inside an Electron utility process: process.parentPort is missing');
  }
  const mailbox = new PortMailbox<MessagePortLike>((stale) => stale.close());
  parentPort.on('message', (event) => {
    const port = event.ports[0];
    if (isPortDelivery(event.data) && port) mailbox.deliver(port);
  });
  const endpoint = new ClientEndpoint<C, N>(async () => new MessagePortPort(await mailbox.take()), options, handlers);
  return endpoint.connect();
}

function isPortDelivery(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { ipcio?: unknown }).ipcio === UTILITY_PORT_MESSAGE.ipcio;
}
