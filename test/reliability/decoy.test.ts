import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ErrorCode, type IpcError } from '../../lib/common/errors.js';
import { IpcClient } from '../../lib/node/index.js';
import { tempSocket } from '../support/temp-socket.js';
import { reportFigures, scale } from './support/harness.js';
import { quiet } from '../support/deferred.js';

const PYTHON_DIR = join(import.meta.dirname, '..', '..', 'helpers', 'python');
const run = promisify(execFile);

/**
 * Issue 11, item 9: a decoy in the server's place used to receive the token in every hello it got
 * (11,257 of 56,703 Node hellos in the directory-swap race). Now it gets a nonce: this decoy keeps
 * everything every connection sends and counts the connections whose bytes hold the token.
 */
describe('a decoy harvesting hellos (issue 11, item 9)', () => {
  it('Node and Python clients with a token connect to a decoy over and over: no byte of the token reaches it', async () => {
    const socket = tempSocket();
    const token = randomBytes(24).toString('base64url');
    const needle = Buffer.from(token);
    let connections = 0;
    let carryingToken = 0;
    const listener: Server = createServer((sock) => {
      connections += 1;
      let bytes = Buffer.alloc(0);
      let carried = false;
      sock.on('error', () => undefined);
      sock.on('data', (chunk) => {
        bytes = Buffer.concat([bytes, chunk]);
        if (!carried && bytes.includes(needle)) {
          carried = true;
          carryingToken += 1;
        }
        // Welcome at once, as a decoy that hopes to be taken for the server would.
        if (bytes.length >= 8) sock.end(welcomeFrame());
      });
    });
    await new Promise<void>((resolve) => listener.listen(socket.socketPath, resolve));
    try {
      const nodeAttempts = scale(300, 10_000);
      const codes: Record<string, number> = {};
      for (let i = 0; i < nodeAttempts; i += 1) {
        const client = new IpcClient({ socketPath: socket.socketPath, name: `n${i}`, token, logger: quiet, reconnect: false }).connect();
        const code = await client.ready.then(() => 'welcomed', (error: IpcError) => error.code);
        codes[code] = (codes[code] ?? 0) + 1;
        await client.close();
      }
      const pythonAttempts = scale(50, 1_000);
      const script = [
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(PYTHON_DIR)})`,
        'from ipcio import Client, IpcError',
        'codes = {}',
        'for i in range(int(sys.argv[3])):',
        '    c = Client(name=f"p{i}", socket_path=sys.argv[1], token=sys.argv[2], reconnect=False)',
        '    try:',
        '        c.connect(timeout=5)',
        '        code = "welcomed"',
        '    except IpcError as e:',
        '        code = e.code',
        '    c.close()',
        '    codes[code] = codes.get(code, 0) + 1',
        'print(codes)',
      ].join('\n');
      const { stdout } = await run('python3', ['-c', script, socket.socketPath, token, String(pythonAttempts)], { timeout: 600_000 });
      expect(codes).toEqual({ [ErrorCode.SERVER_AUTH_FAILED]: nodeAttempts });
      expect(stdout.trim()).toBe(`{'${ErrorCode.SERVER_AUTH_FAILED}': ${pythonAttempts}}`);
      expect(connections).toBe(nodeAttempts + pythonAttempts);
      expect(carryingToken).toBe(0);
      reportFigures('decoy harvest', { nodeAttempts, pythonAttempts, decoyConnections: connections, connectionsCarryingToken: carryingToken, refusedWith: ErrorCode.SERVER_AUTH_FAILED });
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
      socket.cleanup();
    }
  });
});

function welcomeFrame(): Buffer {
  const json = Buffer.from(JSON.stringify({ kind: 'welcome', version: 1, name: 'x', uuid: '0'.repeat(32), session: 's', serverName: 'decoy', maxFrameSize: 1 << 20 }));
  const header = Buffer.alloc(8);
  header.writeUInt32BE(4 + json.length, 0);
  header.writeUInt32BE(json.length, 4);
  return Buffer.concat([header, json]);
}
