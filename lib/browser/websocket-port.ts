import { ErrorCode, IpcError } from '../common/errors.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../common/frame-codec.js';
import { WebSocketPort } from '../common/websocket-port.js';
import { errorForClose, type WebSocketAuth } from '../common/websocket-protocol.js';

export interface OpenWebSocketPortOptions {
  url: string;
  token: string;
  name?: string;
  maxFrameSize?: number;
  /** Every close of this WebSocket, with the error it stands for (refusals included). */
  onClose?: (code: number, error: IpcError) => void;
  /** A message that cannot be decoded is skipped and passed here; the connection stays. */
  onUndecodable?: (error: IpcError) => void;
}

/**
 * Opens a DOM WebSocket to browser mode's server and authenticates it; resolves
 * to a Port once open (a ClientEndpoint's `openPort`). The token goes in the
 * first message rather than the URL, so it is not in the server's request
 * line or any proxy's log. A refusal arrives later, as a close code.
 */
export function openWebSocketPort(options: OpenWebSocketPortOptions): Promise<WebSocketPort> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(options.url);
    ws.binaryType = 'arraybuffer';
    let opened = false;
    ws.addEventListener('close', (event) => {
      const error = errorForClose(event.code, event.reason) ?? new IpcError(ErrorCode.DISCONNECTED, 'the WebSocket closed');
      options.onClose?.(event.code, error);
      if (!opened) reject(error);
    });
    ws.addEventListener('open', () => {
      opened = true;
      const auth: WebSocketAuth = options.name === undefined ? { token: options.token } : { token: options.token, name: options.name };
      ws.send(JSON.stringify(auth));
      resolve(new WebSocketPort(ws, { maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE, onUndecodable: options.onUndecodable }));
    });
  });
}
