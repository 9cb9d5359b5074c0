import { PROTOCOL } from '../common/protocol.js';
import { createConnection } from 'node:net';
import { DEFAULT_MAX_FRAME_SIZE } from '../common/frame-codec.js';
import { MessageKind, MONITOR_COMMAND, PROTOCOL_VERSION, type Message } from '../common/messages.js';
import { ErrorCode, IpcError } from '../node/index.js';
import { SocketPort } from '../node/socket-port.js';
import { ClientTokenProof } from '../common/token-proof.js';

const HANDSHAKE_TIMEOUT_MS = PROTOCOL.defaults.handshakeTimeoutMs;
const MONITOR_REQUEST_ID = 1;

export interface MonitorOptions {
  socketPath: string;
  name: string;
  token: string | undefined;
  /** Called with the `{from, to, kind, cmd, id}` summary of each message the server received. */
  onSummary(summary: unknown): void;
}

/**
 * A protocol-level session rather than an IpcClient: the summaries arrive as
 * `ipcio:monitor` emits, and a client may not register handlers under the
 * reserved `ipcio:` prefix. Resolves once the server accepted us as a monitor;
 * `ended` resolves with the reason the connection later closed.
 */
export async function startMonitor(options: MonitorOptions): Promise<{ ended: Promise<IpcError>; close(): void }> {
  const socket = await open(options.socketPath);
  const port = new SocketPort(socket, { maxFrameSize: DEFAULT_MAX_FRAME_SIZE });
  let settleStart!: { resolve: () => void; reject: (error: IpcError) => void };
  const started = new Promise<void>((resolve, reject) => (settleStart = { resolve, reject }));
  let settleEnd!: (error: IpcError) => void;
  const ended = new Promise<IpcError>((resolve) => (settleEnd = resolve));
  const timer = setTimeout(() => port.close(new IpcError(ErrorCode.HANDSHAKE_TIMEOUT, `no welcome within ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS);
  let refusal: IpcError | undefined;
  // The token never crosses the wire: the server proves it over our nonce, we prove it over its nonce.
  const tokenProof = options.token === undefined ? undefined : new ClientTokenProof(options.token);
  const refuse = (error: IpcError): void => {
    refusal = error;
    port.close(error);
  };
  port.attach({
    onMessage(message: Message) {
      if (message.kind === MessageKind.Challenge && tokenProof) {
        tokenProof.answer(message).then(
          (proof) => {
            try {
              port.send({ kind: MessageKind.Proof, proof });
            } catch {
              // Closed meanwhile; onClose reports why.
            }
          },
          (error: IpcError) => refuse(error),
        );
      } else if (message.kind === MessageKind.Welcome) {
        try {
          tokenProof?.checkWelcome();
        } catch (error) {
          refuse(error as IpcError);
          return;
        }
        port.send({ kind: MessageKind.Request, id: MONITOR_REQUEST_ID, cmd: MONITOR_COMMAND });
      } else if (message.kind === MessageKind.Error && message.fatal) {
        refusal = IpcError.fromWire(message.error);
      } else if (message.kind === MessageKind.Response && message.id === MONITOR_REQUEST_ID) {
        clearTimeout(timer);
        if (message.error) settleStart.reject(IpcError.fromWire(message.error));
        else settleStart.resolve();
      } else if (message.kind === MessageKind.Emit && message.cmd === MONITOR_COMMAND) {
        options.onSummary(message.data);
      }
    },
    onClose(reason) {
      clearTimeout(timer);
      const error = refusal ?? reason ?? new IpcError(ErrorCode.DISCONNECTED, 'the server closed the connection');
      settleStart.reject(error); // no-op once started
      settleEnd(error);
    },
  });
  const hello: Message = { kind: MessageKind.Hello, version: PROTOCOL_VERSION, name: options.name };
  if (tokenProof) hello.nonce = tokenProof.nonce;
  port.send(hello);
  try {
    await started;
  } catch (error) {
    port.close();
    throw error;
  }
  return { ended, close: () => port.close() };
}

function open(path: string): Promise<import('node:net').Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (error: Error) => reject(new IpcError(ErrorCode.DISCONNECTED, `cannot reach an ipcio server at ${path} (${error.message})`));
    socket.once('error', onError);
  });
}
