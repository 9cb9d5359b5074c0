import { IpcClient, IpcError, ErrorCode, type ClientHandlers, type AnyContract } from '../node/index.js';
import { fromEnv, resolveSocketPath, stringFlag, type Parsed } from './args.js';
import { handshakeFailure } from './exit-codes.js';
import { stderrLogger } from './output.js';

export interface Connection {
  client: IpcClient;
  /** Errors the server sent that belong to no request (NO_SUCH_CLIENT for an emit, say), in order. */
  errors: IpcError[];
}

/**
 * Connects once, without reconnecting: a script wants a clear failure (exit 2)
 * when there is no server, not a client retrying forever. The handshake is
 * bounded by the client's handshake timeout.
 */
export async function connect(parsed: Parsed, handlers?: ClientHandlers<AnyContract, string>): Promise<Connection> {
  const client = new IpcClient(
    {
      // Resolved here rather than by IpcClient, which would take an empty IPCIO_SOCKET or IPCIO_TOKEN as a value.
      socketPath: resolveSocketPath(parsed),
      token: stringFlag(parsed, 'token') ?? fromEnv('IPCIO_TOKEN'),
      // Explicit, so a script run by a supervised helper does not take the helper's IPCIO_NAME.
      name: stringFlag(parsed, 'name') ?? `ipcio-cli-${process.pid}`,
      verbose: parsed.flags.verbose === true,
      reconnect: false,
      logger: stderrLogger,
    },
    handlers,
  );
  const errors: IpcError[] = [];
  client.on('error', (error) => errors.push(error));
  client.connect();
  try {
    await client.ready;
  } catch (error) {
    // Whatever the code (BAD_MESSAGE for a name the server will not give), a refused handshake exits 2.
    const failure = error as IpcError;
    if (failure.code !== ErrorCode.DISCONNECTED) throw handshakeFailure(failure);
    // The client reports the cause (HANDSHAKE_TIMEOUT, BAD_MESSAGE from something that is not ipcio) before it gives up.
    const cause = errors.find((reported) => reported.code !== ErrorCode.DISCONNECTED);
    if (cause) throw handshakeFailure(cause);
    throw new IpcError(ErrorCode.DISCONNECTED, `cannot reach an ipcio server at ${client.socketPath} (${failure.message})`);
  }
  return { client, errors };
}

/**
 * Resolves once the server has processed everything this client sent so far,
 * then throws the first error it reported about it (NO_SUCH_CLIENT, NO_HANDLER,
 * FORBIDDEN). The server handles one connection's messages in order, so once
 * the answer to a request is back, any error about an earlier emit has
 * arrived before it. The request is `ipcio:wait` for this client's own name:
 * answered at once with `null`, whatever the server holds (a discover's answer
 * grows with every peer's command list and may not fit a frame).
 * (`ipcio monitor` leaves such built-in requests out.)
 */
export async function processedByServer({ client, errors }: Connection): Promise<void> {
  await client.waitForPeer(client.name, { timeoutMs: BARRIER_TIMEOUT_MS });
  const [failure] = errors;
  if (failure) throw failure;
}

const BARRIER_TIMEOUT_MS = 10_000;

/** Resolves when the connection is lost, for the commands that run until then. */
export function disconnected(client: IpcClient): Promise<IpcError> {
  return new Promise((resolve) => {
    client.on('disconnect', ({ reason }) => resolve(new IpcError(ErrorCode.DISCONNECTED, `the server closed the connection${reason ? `: ${reason.message}` : ''}`)));
  });
}

/** Resolves with the signal's name at the first SIGINT or SIGTERM. */
export function interrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}
