import { createConnection, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder } from '../../lib/common/frame-codec.js';
import type { Message } from '../../lib/common/messages.js';
import { ClientTokenProof } from '../../lib/common/token-proof.js';

/**
 * A bare socket speaking frames by hand: for tests that must misbehave
 * (stall, send garbage, never say hello) in ways the real client never would.
 */
export class RawPeer {
  readonly received: Message[] = [];
  closed = false;
  /** Called after every change (messages arrived, or the socket closed). */
  private readonly watchers = new Set<() => void>();
  private readonly decoder = new FrameDecoder({ maxFrameSize: 256 * 1024 * 1024 });

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      try {
        this.received.push(...this.decoder.push(chunk));
      } catch {
        socket.destroy();
      }
      this.notify();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
  }

  static connect(path: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path, () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  /**
   * Says hello and, when the server challenges, proves `token` the way a client must (PROTOCOL.md,
   * Handshake). Resolves with the welcome; throws with what came instead.
   */
  async join(name: string, token: string, fields: Partial<Extract<Message, { kind: 'hello' }>> = {}): Promise<Extract<Message, { kind: 'welcome' }>> {
    const proof = new ClientTokenProof(token);
    this.send({ kind: 'hello', version: 1, name, nonce: proof.nonce, ...fields });
    const challenge = await this.waitFor('challenge');
    this.send({ kind: 'proof', proof: await proof.answer(challenge) });
    return this.waitFor('welcome');
  }

  send(message: Message): void {
    for (const chunk of encodeFrame(message).chunks) this.socket.write(chunk);
  }

  writeBytes(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async waitFor<K extends Message['kind']>(kind: K, timeoutMs = 5_000): Promise<Extract<Message, { kind: K }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((m) => m.kind === kind);
      if (found) return found as Extract<Message, { kind: K }>;
      if (Date.now() > deadline) throw new Error(`no ${kind} within ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Resolves once `check` holds or the connection is closed, re-checked on each arrival and on the close
   * (no polling). The timeout only turns a hang into a failure; it is not part of any verdict.
   */
  settle(check: (received: readonly Message[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const watcher = (): void => {
        if (!this.closed && !check(this.received)) return;
        this.watchers.delete(watcher);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(watcher);
        reject(new Error(`neither ${what} nor a close within ${timeoutMs} ms; got ${JSON.stringify(this.received).slice(0, 2_000)}`));
      }, timeoutMs);
      this.watchers.add(watcher);
      watcher();
    });
  }

  private notify(): void {
    for (const watcher of [...this.watchers]) watcher();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A header announcing `frameLength` bytes (and `jsonLength` of them JSON), with no body. */
export function headerOnly(frameLength: number, jsonLength: number): Uint8Array {
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  view.setUint32(0, frameLength);
  view.setUint32(4, jsonLength);
  return header;
}
