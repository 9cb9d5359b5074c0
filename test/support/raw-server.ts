import { createServer, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../lib/common/frame-codec.js';
import type { Message } from '../../lib/common/messages.js';

const MiB = 1024 * 1024;

export interface RawServer {
  /** Every connection, in the order they came. */
  sockets: Socket[];
  write(sock: Socket, message: Message): void;
  close(): Promise<void>;
}

/**
 * A bare server speaking frames by hand: it welcomes each hello and does
 * nothing else, so a test can make it misbehave (stop reading, half-close)
 * in ways the real server never would.
 */
export async function welcomingServer(path: string, options: { pauseAfterWelcome?: boolean } = {}): Promise<RawServer> {
  const sockets: Socket[] = [];
  const write = (sock: Socket, message: Message): void => {
    for (const piece of encodeFrame(message).chunks) sock.write(piece);
  };
  const listener = createServer((sock) => {
    sockets.push(sock);
    const decoder = new FrameDecoder({ maxFrameSize: 256 * MiB });
    sock.on('error', () => undefined);
    sock.on('data', (chunk) => {
      for (const message of decoder.push(chunk)) {
        if (message.kind !== 'hello') continue;
        write(sock, { kind: 'welcome', version: 1, name: message.name ?? 'x', uuid: '0'.repeat(32), session: 's', serverName: 'raw', maxFrameSize: 256 * MiB });
        if (options.pauseAfterWelcome) sock.pause();
      }
    });
  });
  await new Promise<void>((resolve) => listener.listen(path, resolve));
  return {
    sockets,
    write,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
