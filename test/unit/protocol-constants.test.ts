import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs, DEFAULT_RECONNECT } from '../../lib/common/backoff.js';
import { ErrorCode } from '../../lib/common/errors.js';
import { PROTOCOL } from '../../lib/common/protocol.js';
import { renderConstantsTable, renderProtocolJson, TABLE_BEGIN, TABLE_END } from '../../scripts/protocol-files.mjs';

const root = new URL('../../', import.meta.url);

describe('shared protocol constants: one source (lib/common/protocol.ts), copies that agree', () => {
  it('helpers/python/ipcio/protocol.json is the source, byte for byte (run npm run protocol:write when it is not)', () => {
    expect(readFileSync(new URL('helpers/python/ipcio/protocol.json', root), 'utf8')).toBe(renderProtocolJson(PROTOCOL));
  });

  it('the constants table in docs/PROTOCOL.md is the source (run npm run protocol:write when it is not)', () => {
    const docs = readFileSync(new URL('docs/PROTOCOL.md', root), 'utf8');
    const table = docs.slice(docs.indexOf(TABLE_BEGIN), docs.indexOf(TABLE_END) + TABLE_END.length);
    expect(table).toBe(renderConstantsTable(PROTOCOL));
  });

  it('every stop code is an error code the protocol defines', () => {
    for (const code of PROTOCOL.stopCodes) expect(Object.values(ErrorCode)).toContain(code);
  });

  it('the Python client reads the same values and draws backoff from the same range', () => {
    const script = [
      'import json, sys',
      'sys.path.insert(0, "helpers/python")',
      'from ipcio import protocol, client, paths',
      'print(json.dumps({"protocol": protocol.PROTOCOL, "queue": client.QUEUE_LIMIT, "handshake": client.RECONNECT_HANDSHAKE_TIMEOUT,',
      '  "domain": paths.DOMAIN_RE.pattern, "low": [protocol.backoff_delay_s(n, 0) for n in range(8)], "high": [protocol.backoff_delay_s(n, 1) for n in range(8)]}))',
    ].join('\n');
    const seen = JSON.parse(execFileSync('python3', ['-c', script], { cwd: root, encoding: 'utf8' })) as {
      protocol: unknown;
      queue: number;
      handshake: number;
      domain: string;
      low: number[];
      high: number[];
    };
    expect(seen.protocol).toEqual(PROTOCOL);
    expect(seen.queue).toBe(PROTOCOL.defaults.queueMessages);
    expect(seen.handshake * 1000).toBe(PROTOCOL.defaults.handshakeTimeoutMs);
    expect(seen.domain).toBe(PROTOCOL.domains.pattern);
    const attempts = [...Array(8).keys()];
    expect(seen.low.map((s) => Math.round(s * 1000))).toEqual(attempts.map((n) => backoffDelayMs(n, DEFAULT_RECONNECT, () => 0)));
    expect(seen.high.map((s) => Math.round(s * 1000))).toEqual(attempts.map((n) => backoffDelayMs(n, DEFAULT_RECONNECT, () => 1)));
  });
});
