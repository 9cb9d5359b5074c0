import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HandlerContainer } from '../../lib/common/contract.js';
import { IpcError } from '../../lib/common/errors.js';
import { encodeFrame, FrameDecoder } from '../../lib/common/frame-codec.js';
import { isStreamMessage, MessageKind, type Message } from '../../lib/common/messages.js';
import { StreamEndpoint } from '../../lib/common/streams/stream-endpoint.js';
import type { StreamHandlerFunction } from '../../lib/common/streams/stream-producers.js';

/**
 * The TypeScript and Python stream engines against each other over a real
 * pipe to a real Python process (helpers/python/tests/stream_peer.py): the
 * same frames, credit and ends as on a socket, in both directions. The
 * client/server wiring is not involved yet.
 */
const PEER = fileURLToPath(new URL('../../helpers/python/tests/stream_peer.py', import.meta.url));

interface Emitted {
  cmd: string;
  data: Record<string, unknown>;
}

class PythonPeer {
  readonly emitted: Emitted[] = [];
  readonly endpoint: StreamEndpoint;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiters: (() => void)[] = [];
  readonly finallies: string[] = [];

  constructor(handlers: Record<string, StreamHandlerFunction>) {
    this.child = spawn('python3', [PEER], { stdio: 'pipe' });
    this.child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.endpoint = new StreamEndpoint({
      send: (message) => {
        for (const chunk of encodeFrame(message).chunks) this.child.stdin.write(chunk);
      },
      peerSpeaksStreams: true,
      peerName: 'python',
    });
    const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
    this.child.stdout.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(new Uint8Array(chunk))) this.dispatch(message, handlers);
    });
  }

  send(message: Message): void {
    for (const chunk of encodeFrame(message).chunks) this.child.stdin.write(chunk);
  }

  /** Resolves with the first emit matching, waiting for it if needed. */
  async waitFor(cmd: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.emitted.find((e) => e.cmd === cmd && match(e.data));
      if (found) return found.data;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async close(): Promise<void> {
    // 'close', not 'exit': it comes after stdout has been read to the end.
    const exited = new Promise((resolve) => this.child.once('close', resolve));
    this.child.stdin.end();
    await exited;
  }

  private dispatch(message: Message, handlers: Record<string, StreamHandlerFunction>): void {
    if (message.kind === MessageKind.Emit) {
      this.emitted.push({ cmd: message.cmd, data: message.data as Record<string, unknown> });
      for (const wake of this.waiters.splice(0)) wake();
    } else if (message.kind === MessageKind.StreamOpen) {
      this.endpoint.serve(message, handlers[message.cmd], { client_name: 'python', uuid: '', socket: null, server: null });
    } else if (isStreamMessage(message)) {
      this.endpoint.receive(message);
    }
  }
}

let peer: PythonPeer | undefined;
afterEach(async () => {
  await peer?.close();
  peer = undefined;
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe('TypeScript and Python stream engines over a pipe', () => {
  it('Node consumes a Python generator with a small window: all items in order, one end each side', async () => {
    peer = new PythonPeer({});
    expect(await collect(peer.endpoint.open<number>('count', { n: 300 }, { window: 3 }))).toEqual([...Array(300).keys()]);
    expect(await peer.waitFor('ended')).toEqual({ role: 'producer', id: 1, code: null });
  });

  it('breaking in Node cancels the Python generator, whose finally runs', async () => {
    peer = new PythonPeer({});
    for await (const n of peer.endpoint.open<number>('endless', undefined, { window: 4 })) if (n === 10) break;
    expect(await peer.waitFor('finally')).toEqual({ cmd: 'endless', cancelled: true });
    expect(await peer.waitFor('ended')).toEqual({ role: 'producer', id: 1, code: 'CANCELLED' });
  });

  it('a Python exception reaches Node as HANDLER_ERROR with its code; bytes arrive as bytes', async () => {
    peer = new PythonPeer({});
    const got: unknown[] = [];
    let error: IpcError | undefined;
    try {
      for await (const item of peer.endpoint.open('fail')) got.push(item);
    } catch (thrown) {
      error = thrown as IpcError;
    }
    expect([got, error?.code, error?.remoteCode, error?.message]).toEqual([['x'], 'HANDLER_ERROR', 'E_PY', 'python producer failed']);
    const [bytes] = await collect(peer.endpoint.open<Uint8Array>('blob'));
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...(bytes as Uint8Array)]).toEqual([0, 1, 255]);
  });

  it('Python consumes a Node async generator; stopping early runs the Node finally', async () => {
    let finallyRan!: () => void;
    const nodeFinally = new Promise<void>((resolve) => (finallyRan = resolve));
    peer = new PythonPeer({
      squares: async function* ({ data }: HandlerContainer<never>) {
        for (let i = 0; i < (data as { n: number }).n; i += 1) yield i * i;
      },
      ticks: async function* () {
        try {
          for (let i = 0; ; i += 1) yield i;
        } finally {
          finallyRan();
        }
      },
      broken: async function* () {
        throw Object.assign(new Error('node producer failed'), { code: 'E_NODE' });
      },
    });
    peer.send({ kind: MessageKind.Emit, cmd: 'consume', data: { cmd: 'squares', data: { n: 50 }, window: 2 } });
    expect(await peer.waitFor('consumed')).toEqual({ items: [...Array(50).keys()].map((i) => i * i), code: null, remoteCode: null });

    peer.send({ kind: MessageKind.Emit, cmd: 'consume', data: { cmd: 'ticks', window: 5, stopAfter: 7 } });
    expect(await peer.waitFor('consumed', (d) => (d.items as unknown[]).length === 7)).toEqual({ items: [0, 1, 2, 3, 4, 5, 6], code: null, remoteCode: null });
    await nodeFinally;

    peer.send({ kind: MessageKind.Emit, cmd: 'consume', data: { cmd: 'broken', window: 1 } });
    expect(await peer.waitFor('consumed', (d) => d.code !== null)).toEqual({ items: [], code: 'HANDLER_ERROR', remoteCode: 'E_NODE' });
  });

  it('the pipe closing ends a running Python producer with DISCONNECTED (dispose)', async () => {
    const closing = new PythonPeer({});
    const stream = closing.endpoint.open<number>('endless', undefined, { window: 2 });
    await stream.next();
    await closing.close();
    expect(closing.emitted.filter((e) => e.cmd === 'ended').map((e) => e.data)).toEqual([{ role: 'producer', id: 1, code: 'DISCONNECTED' }]);
    closing.endpoint.dispose(new IpcError('DISCONNECTED', 'pipe closed'));
    await expect(collect(stream)).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });
});
