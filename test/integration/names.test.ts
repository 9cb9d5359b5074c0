import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/common/errors.js';
import { MessageKind } from '../../lib/common/messages.js';
import { peerNameProblem } from '../../lib/common/names.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket } from '../support/temp-socket.js';
import { quiet } from '../support/deferred.js';


/** Names that print as something else, or as nothing: each must be refused. */
const DECEPTIVE: Record<string, string> = {
  'C0 control': 'a\u0001b',
  DEL: 'a\u007fb',
  'C1 control (NEL)': 'a\u0085b',
  'line separator': 'a\u2028b',
  'paragraph separator': 'a\u2029b',
  'bidi override RLO': 'helper\u202Etxt.exe',
  'bidi embedding LRE': '\u202Aa',
  'bidi isolate FSI': 'a\u2068b\u2069',
  'zero-width space': 'hel\u200Bper',
  'zero-width joiner': 'a\u200Db',
  'left-to-right mark': 'a\u200Eb',
  BOM: '\uFEFFhelper',
  'soft hyphen': 'hel\u00ADper',
  'lone high surrogate': 'a\uD800b',
  'lone low surrogate': 'a\uDC00',
  'private use': 'a\uE000',
  unassigned: 'a\u0378',
  'no-break space': 'a\u00A0b',
  'ideographic space': 'a\u3000b',
  'decomposed é (not NFC)': 'caf\u0065\u0301',
};

/** Names that must stay accepted. */
const FINE = ['helper', 'my helper', 'café', '日本語の名前', 'a:b/c', 'emoji-😀', '__proto__', 'constructor', 'x'.repeat(128)];

describe('client names: unprintable and invisible characters are refused, no name is special', () => {
  let socket: ReturnType<typeof tempSocket>;
  beforeEach(() => {
    socket = tempSocket();
  });
  afterEach(() => socket.cleanup());

  it('the server refuses each deceptive name at the handshake with a fatal BAD_MESSAGE naming the code point', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }).start();
    await server.ready;
    try {
      for (const [what, name] of Object.entries(DECEPTIVE)) {
        const peer = await RawPeer.connect(socket.socketPath);
        peer.send({ kind: MessageKind.Hello, version: 1, name });
        const refusal = await peer.waitFor(MessageKind.Error);
        expect(refusal.error.code, what).toBe(ErrorCode.BAD_MESSAGE);
        expect(refusal.fatal, what).toBe(true);
        expect(refusal.retry, what).toBe(false);
        expect(refusal.error.message, what).toMatch(/U\+[0-9A-F]{4}|Normalization Form C/);
        await peer.waitClosed();
      }
      expect(server.clients()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('clients named __proto__ and constructor are listed by discover() like any other', async () => {
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }).start();
    await server.ready;
    const clients = FINE.map((name) => new IpcClient({ socketPath: socket.socketPath, name, logger: quiet, reconnect: false }).connect());
    try {
      await Promise.all(clients.map((client) => client.ready));
      const seen = await clients[0]!.discover();
      expect([...seen.clients].sort()).toEqual([...FINE].sort());
      for (const name of FINE) expect(Object.hasOwn(seen.peers, name), name).toBe(true);
      expect(seen.peers['__proto__']).toEqual([]);
      const local = server.discover();
      for (const name of FINE) expect(Object.hasOwn(local.peers, name), name).toBe(true);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
    }
  });

  it('the Python client applies the same rule (checked on the same names, before connecting)', () => {
    const samples = [...Object.values(DECEPTIVE), ...FINE, '', 'x'.repeat(129), 'server'];
    const script = [
      'import json, sys',
      `sys.path.insert(0, ${JSON.stringify(join(import.meta.dirname, '..', '..', 'helpers', 'python'))})`,
      'from ipcio.names import peer_name_problem',
      // surrogatepass: the samples include lone surrogates, which JSON carries as \\u escapes.
      'names = json.loads(sys.stdin.read())',
      'print(json.dumps([peer_name_problem(n, "server") is None for n in names]))',
    ].join('\n');
    const verdicts = JSON.parse(execFileSync('python3', ['-c', script], { input: JSON.stringify(samples) }).toString()) as boolean[];
    const expected = samples.map((name) => peerNameProblem(name, 'server') === undefined);
    expect(verdicts).toEqual(expected);
    expect(expected.filter(Boolean)).toHaveLength(FINE.length);
  });
});
