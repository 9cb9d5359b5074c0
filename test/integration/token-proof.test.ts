import { execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { encodeFrame, FrameDecoder } from '../../lib/common/frame-codec.js';
import { MessageKind, type Message } from '../../lib/common/messages.js';
import { handshakeProofs, hmacSha256Hex } from '../../lib/common/token-proof.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { assertBuilt, runCli } from '../cli/cli-process.js';
import { tempSocket } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';

const TOKEN = 'the-real-token-' + randomBytes(8).toString('hex');
const PYTHON_DIR = join(import.meta.dirname, '..', '..', 'helpers', 'python');

/**
 * A decoy listening where the server should be, without the token: it records every byte each client
 * sends, and either welcomes at once or sends a challenge with a made-up proof.
 */
async function decoy(path: string, behaviour: 'welcome' | 'challenge'): Promise<{ received: Buffer[]; messages: Message[][]; close(): Promise<void> }> {
  const received: Buffer[] = [];
  const messages: Message[][] = [];
  const listener: Server = createServer((sock) => {
    const index = received.length;
    received.push(Buffer.alloc(0));
    messages.push([]);
    const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
    sock.on('error', () => undefined);
    sock.on('data', (chunk) => {
      received[index] = Buffer.concat([received[index]!, chunk]);
      for (const message of decoder.push(chunk)) {
        messages[index]!.push(message);
        if (message.kind !== MessageKind.Hello) continue;
        const reply: Message =
          behaviour === 'welcome'
            ? { kind: MessageKind.Welcome, version: 1, name: message.name ?? 'x', uuid: '0'.repeat(32), session: 's', serverName: 'decoy', maxFrameSize: 1 << 20 }
            : { kind: MessageKind.Challenge, nonce: randomBytes(32).toString('hex'), proof: randomBytes(32).toString('hex') };
        for (const piece of encodeFrame(reply).chunks) sock.write(piece);
      }
    });
  });
  await new Promise<void>((resolve) => listener.listen(path, resolve));
  return { received, messages, close: () => new Promise<void>((resolve) => listener.close(() => resolve())) };
}

const python = promisify(execFile);
async function pythonConnect(path: string, token: string): Promise<string> {
  const script = [
    'import sys',
    `sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`,
    'from ipcio import Client, IpcError',
    'c = Client(name="py", socket_path=sys.argv[1], token=sys.argv[2], reconnect=False)',
    'try:',
    '    c.connect(timeout=5)',
    '    print("welcomed")',
    'except IpcError as e:',
    '    print(e.code)',
    'finally:',
    '    c.close()',
  ].join('\n');
  const { stdout } = await python('python3', ['-c', script, path, token], { timeout: 20_000 });
  return stdout.trim();
}

describe('the token never crosses the wire: mutual challenge and proof (issue 11, item 9)', () => {
  let socket: ReturnType<typeof tempSocket>;
  beforeAll(() => assertBuilt());
  beforeEach(() => {
    socket = tempSocket();
  });
  afterEach(() => socket.cleanup());

  for (const behaviour of ['welcome', 'challenge'] as const) {
    it(`a decoy that ${behaviour === 'welcome' ? 'welcomes at once' : 'answers with a made-up challenge'}: the Node client, the Python client and the CLI refuse it with SERVER_AUTH_FAILED, and the decoy gets no token and no proof`, async () => {
      const fake = await decoy(socket.socketPath, behaviour);
      try {
        const node = new IpcClient({ socketPath: socket.socketPath, name: 'node', token: TOKEN, logger: quiet, reconnect: { minMs: 10, maxMs: 20 } }).connect();
        const nodeOutcome = await node.ready.then(() => 'welcomed', (error: IpcError) => error.code);
        // Stopped for good: a later call fails at once with the same code (no reconnect to the decoy).
        await expect(node.request('x')).rejects.toMatchObject({ code: ErrorCode.SERVER_AUTH_FAILED });
        await node.close();
        const pythonOutcome = await pythonConnect(socket.socketPath, TOKEN);
        const cli = await runCli(['discover', '--socket', socket.socketPath, '--token', TOKEN]);
        expect([nodeOutcome, pythonOutcome]).toEqual([ErrorCode.SERVER_AUTH_FAILED, ErrorCode.SERVER_AUTH_FAILED]);
        expect(cli.code).toBe(2);
        expect(cli.stderr).toMatch(/^SERVER_AUTH_FAILED: /);
        expect(fake.received).toHaveLength(3); // one connection each: nobody retried
        for (const [index, bytes] of fake.received.entries()) {
          expect(bytes.includes(Buffer.from(TOKEN)), `connection ${index} carried the token`).toBe(false);
          // The hello alone: no proof went to a server that did not prove the token first.
          expect(fake.messages[index]!.map((m) => m.kind)).toEqual([MessageKind.Hello]);
          expect((fake.messages[index]![0] as { nonce?: string }).nonce).toMatch(/^[0-9a-f]{64}$/);
        }
      } finally {
        await fake.close();
      }
    });
  }

  it('the real server proves the token and is proven to; per-name tokens from reserveName take the place of the server token', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, token: TOKEN, logger: quiet }).start();
    await server.ready;
    server.reserveName('helper', 'helper-token');
    const attempt = async (name: string, token: string): Promise<string> => {
      const client = new IpcClient({ socketPath: socket.socketPath, name, token, logger: quiet, reconnect: false }).connect();
      const outcome = await client.ready.then(() => 'welcomed', (error: IpcError) => error.code);
      await client.close();
      return outcome;
    };
    try {
      expect(await attempt('app', TOKEN)).toBe('welcomed');
      expect(await attempt('helper', 'helper-token')).toBe('welcomed');
      // The server proves the token the name needs: the server-wide one does not open a reserved name, nor the reverse.
      expect(await attempt('helper', TOKEN)).toBe(ErrorCode.SERVER_AUTH_FAILED);
      expect(await attempt('other', 'helper-token')).toBe(ErrorCode.SERVER_AUTH_FAILED);
      expect(await pythonConnect(socket.socketPath, TOKEN)).toBe('welcomed');
      expect((await runCli(['discover', '--socket', socket.socketPath, '--token', TOKEN])).code).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('the proofs are HMAC-SHA256 under SHA-256 of the token, as PROTOCOL.md writes them (checked against node:crypto)', async () => {
    const key = createHash('sha256').update('tøken', 'utf8').digest();
    const expected = createHmac('sha256', key).update('message').digest('hex');
    expect(await hmacSha256Hex('tøken', 'message')).toBe(expected);
    const client = 'a'.repeat(64);
    const server = 'b'.repeat(64);
    const proofs = await handshakeProofs('t', client, server);
    const tKey = createHash('sha256').update('t').digest();
    expect(proofs.server).toBe(createHmac('sha256', tKey).update(`ipcio-server-proof\n${client}\n${server}`).digest('hex'));
    expect(proofs.client).toBe(createHmac('sha256', tKey).update(`ipcio-client-proof\n${client}\n${server}`).digest('hex'));
    // A trailing NUL is another token (HMAC alone would pad the raw key with zeros and take both).
    expect(await hmacSha256Hex('t\u0000', 'm')).not.toBe(await hmacSha256Hex('t', 'm'));
    expect(await hmacSha256Hex('', 'm')).toMatch(/^[0-9a-f]{64}$/);
  });
});
