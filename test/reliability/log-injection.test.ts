import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { logSafe, MAX_LOG_TEXT_CHARS } from '../../lib/common/log-text.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { MiB, reportFigures } from './support/harness.js';

const SERVER = fileURLToPath(new URL('./fixtures/logging-server.mjs', import.meta.url));

describe('peer text in main log (issue 11, item 11)', () => {
  it('logSafe escapes line breaks, ANSI, C1, bidi, zero-width and lone surrogates, doubles backslashes, and cuts', () => {
    expect(logSafe('a\nb\r\tc')).toBe('a\\nb\\r\\tc');
    expect(logSafe('\x1b[2J\x9b31m')).toBe('\\u001b[2J\\u009b31m');
    expect(logSafe('x\u2028y\u202ez\u200bw\ud800v')).toBe('x\\u2028y\\u202ez\\u200bw\\ud800v');
    // A backslash in the text cannot pose as an escape.
    expect(logSafe('\\n')).toBe('\\\\n');
    expect(logSafe('😀 ok é')).toBe('😀 ok é');
    const cut = logSafe('\n'.repeat(5000));
    expect(cut.startsWith('\\n'.repeat(500))).toBe(true);
    expect(cut).toContain('[5000 chars, cut to 1000]');
    expect(cut.length).toBeLessThan(MAX_LOG_TEXT_CHARS + 40);
    // Never half a surrogate pair at the cut.
    expect(logSafe('😀'.repeat(10), 5)).toBe('😀😀… [20 chars, cut to 4]');
  });

  it("a client's 50 MiB error text full of newlines and ANSI escapes becomes one bounded, escaped line of main's stderr", async () => {
    const socket = tempSocket();
    const server = spawn(process.execPath, [SERVER, socket.socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    server.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await until(() => stdout.includes('ready'), 10_000, 'the server');
      const peer = await RawPeer.connect(socket.socketPath);
      peer.send({ kind: 'hello', version: 1, name: 'forger' });
      await peer.waitFor('welcome');
      const line = 'forged\n[ipcio main] AUTH_FAILED: all good\x1b[2J\x1b[31m';
      const message = line.repeat(Math.ceil((50 * MiB) / line.length));
      peer.send({ kind: 'error', error: { code: 'HANDLER_ERROR', message } });
      peer.send({ kind: 'request', id: 1, cmd: 'ping' });
      await peer.waitFor('response', 30_000);
      await until(() => stderr.includes('\n'), 10_000, 'the log line');
      reportFigures('peer error text in the log', { sentMiB: Math.round(message.length / MiB), loggedBytes: stderr.length });
      const lines = stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('client "forger" reported HANDLER_ERROR: forged\\n[ipcio main] AUTH_FAILED: all good\\u001b[2J');
      expect(stderr).not.toContain('\x1b');
      expect(stderr.length).toBeLessThan(2 * 1024);
      peer.socket.destroy();
    } finally {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.on('exit', resolve));
      socket.cleanup();
    }
  }, 60_000);
});
