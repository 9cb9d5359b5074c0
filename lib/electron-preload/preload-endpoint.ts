import { ATTACHED_CHANNEL, CONNECT_CHANNEL, PORT_CHANNEL, type AttachedAnswer } from '../common/bridge-channels.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import { ClientEndpoint, type ClientEndpointOptions, type ClientHandlers } from '../common/client-endpoint.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { MessagePortPort, type MessagePortLike } from '../common/message-port-port.js';
import { PortMailbox } from '../common/port-mailbox.js';

/** The part of Electron's ipcRenderer the preload uses; tests pass a stand-in. */
export interface IpcRendererLike {
  send(channel: string): void;
  /** Electron's ipcRenderer.invoke; without it (older stand-ins) the attached check is skipped. */
  invoke?(channel: string): Promise<unknown>;
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
    if (!mailbox.hasPort) {
      await checkAttached(ipc);
      ipc.send(CONNECT_CHANNEL);
    }
    return new MessagePortPort(await mailbox.take());
  };
  return new ClientEndpoint<C, N>(openPort, options, handlers);
}

/**
 * Asks main whether it will serve this window before waiting for a port.
 * Electron rejects an invoke nobody handles ("No handler registered"): main
 * never called attachWindow for this window. Any other failure (main busy,
 * a reload in between) is left to the ordinary reconnect.
 */
async function checkAttached(ipc: IpcRendererLike): Promise<void> {
  if (!ipc.invoke) return;
  let answer: unknown;
  try {
    answer = await ipc.invoke(ATTACHED_CHANNEL);
  } catch (error) {
    if (/no handler registered/i.test(String((error as Error)?.message ?? error))) {
      throw new IpcError(
        ErrorCode.NOT_ATTACHED,
        'main never attached this window: call attachWindow(server, win, { name, origins, allow }) in main before the page loads',
      );
    }
    throw error;
  }
  if (answer === null || answer === undefined) return;
  const { code, reason } = answer as AttachedAnswer;
  throw new IpcError(code === 'ORIGIN_REFUSED' ? ErrorCode.ORIGIN_REFUSED : ErrorCode.NOT_ATTACHED, reason);
}
