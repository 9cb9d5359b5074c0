import { CONNECT_CHANNEL, PORT_CHANNEL } from '../common/bridge-channels.js';
import { ClientEndpoint, type ClientEndpointOptions, type ClientHandlers } from '../common/client-endpoint.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { MessagePortPort, type MessagePortLike } from '../common/message-port-port.js';
import { PortMailbox } from '../common/port-mailbox.js';

/** The part of Electron's ipcRenderer the preload uses; tests pass a stand-in. */
export interface IpcRendererLike {
  send(channel: string): void;
  on(channel: string, listener: (event: { ports: readonly MessagePortLike[] }) => void): unknown;
}

/**
 * A named client of the main process's server over a MessagePort that main
 * hands to this preload. Each connection attempt asks main for a fresh port,
 * so after a lost port the endpoint reconnects, with its offline queue, as a
 * socket client does. The port stays here, in the isolated world.
 */
export function createPreloadEndpoint<C extends Contract = AnyContract, N extends string = string>(
  ipc: IpcRendererLike,
  options: ClientEndpointOptions<C, N> = {},
  handlers?: NoInfer<ClientHandlers<C, N>>,
): ClientEndpoint<C, N> {
  const mailbox = new PortMailbox<MessagePortLike>((stale) => stale.close());
  ipc.on(PORT_CHANNEL, (event) => {
    const port = event.ports[0];
    if (port) mailbox.deliver(port);
  });
  const openPort = async (): Promise<MessagePortPort> => {
    if (!mailbox.hasPort) ipc.send(CONNECT_CHANNEL);
    return new MessagePortPort(await mailbox.take());
  };
  return new ClientEndpoint<C, N>(openPort, options, handlers);
}
