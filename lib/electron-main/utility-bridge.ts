import type { ForkOptions, MessagePortMain, UtilityProcess } from 'electron';
import { UTILITY_PORT_MESSAGE } from '../common/bridge-channels.js';
import type { AnyContract, Contract } from '../common/contract.js';
import { MessagePortPort } from '../common/message-port-port.js';
import { allowPolicy, type AllowSpec } from './allow.js';
import type { BridgeServer, ChannelFactory } from './window-bridge.js';

export interface UtilityOptions<C extends Contract = AnyContract> {
  /** The utility process's name as every peer addresses it. */
  name: string;
  allow: AllowSpec<C>;
  args?: string[];
  /** Passed to utilityProcess.fork (env, cwd, serviceName, stdio, ...). */
  fork?: ForkOptions;
}

/** The parts of utilityProcess the bridge uses; tests pass a stand-in. */
export interface UtilityDeps {
  fork(modulePath: string, args: string[], options: ForkOptions): Pick<UtilityProcess, 'postMessage' | 'once' | 'kill' | 'pid'>;
  createChannel: ChannelFactory;
}

export interface ForkedUtility {
  readonly name: string;
  readonly process: Pick<UtilityProcess, 'postMessage' | 'once' | 'kill' | 'pid'>;
  /** Ends the process; its port closes and the name is freed. */
  kill(): boolean;
}

/**
 * Starts an Electron utility process as a named peer. It joins over a
 * MessagePort rather than the socket: main creates the channel, so no token
 * or socket path has to be handed to the child, and the child cannot claim
 * another name. Inside, `connectFromUtility()` (ipcio/utility) picks the port
 * up from process.parentPort.
 */
export function bridgeUtility<C extends Contract>(
  server: BridgeServer<C>,
  modulePath: string,
  options: NoInfer<UtilityOptions<C>>,
  deps: UtilityDeps,
): ForkedUtility {
  const child = deps.fork(modulePath, options.args ?? [], options.fork ?? {});
  const { port1, port2 } = deps.createChannel();
  const port = new MessagePortPort(port1);
  server.accept(port, { name: options.name, trusted: true, kind: 'utility', allow: allowPolicy(options.allow, server.name) });
  // Messages to a utility process are queued until it has spawned, so the port can go now.
  child.postMessage(UTILITY_PORT_MESSAGE, [port2 as MessagePortMain]);
  child.once('exit', () => port.close());
  return { name: options.name, process: child, kill: () => child.kill() };
}
