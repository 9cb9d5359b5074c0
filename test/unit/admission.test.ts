import { describe, expect, it } from 'vitest';
import { admit, tokenRequired, type AdmissionRules } from '../../lib/common/admission.js';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { MessageKind, type Message } from '../../lib/common/messages.js';
import type { Peer } from '../../lib/common/peer.js';
import { allowPolicy } from '../../lib/electron-main/allow.js';

function rules(overrides: Partial<AdmissionRules> = {}): AdmissionRules {
  return { serverName: 'server', token: undefined, nameTokens: new Map(), peers: new Map(), ...overrides };
}

function hello(fields: Partial<Extract<Message, { kind: 'hello' }>> = {}): Message {
  return { kind: MessageKind.Hello, version: 1, ...fields };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return error instanceof IpcError ? error.code : String(error);
  }
  return 'admitted';
}

describe('admission', () => {
  it('refuses a first message other than hello, and another protocol version', () => {
    expect(refusal(() => admit({ kind: MessageKind.Emit, cmd: 'x' }, {}, rules()))).toBe(ErrorCode.BAD_MESSAGE);
    expect(refusal(() => admit(hello({ version: 2 }), {}, rules()))).toBe(ErrorCode.PROTOCOL_VERSION);
  });

  it('asks for the server token, a reserved name own token instead, and nothing for a trusted port; a hello carrying a token is refused', () => {
    const r = rules({ token: 'server-token', nameTokens: new Map([['helper', 'helper-token']]) });
    const nonce = 'ab'.repeat(32);
    expect(refusal(() => tokenRequired(hello({ name: 'a' }), {}, r))).toBe(ErrorCode.AUTH_FAILED);
    expect(tokenRequired(hello({ name: 'a', nonce }), {}, r)).toBe('server-token');
    expect(tokenRequired(hello({ name: 'helper', nonce }), {}, r)).toBe('helper-token');
    expect(tokenRequired(hello({ name: 'w' }), { trusted: true }, r)).toBeUndefined();
    expect(tokenRequired(hello({ name: 'a' }), {}, rules())).toBeUndefined();
    expect(refusal(() => tokenRequired(hello({ name: 'a', nonce, token: 'server-token' }), {}, r))).toBe(ErrorCode.AUTH_FAILED);
    expect(refusal(() => tokenRequired(hello({ name: 'a', token: 'x' }), {}, rules()))).toBe(ErrorCode.AUTH_FAILED);
  });

  it('applies the name rules: 1 to 128 characters, no control characters, not the server name', () => {
    for (const name of ['', 'x'.repeat(129), 'tab\there', 'del\u007f', 'server']) {
      expect(refusal(() => admit(hello({ name }), {}, rules())), JSON.stringify(name)).toBe(ErrorCode.BAD_MESSAGE);
    }
    for (const name of ['x'.repeat(128), 'héllo wörld', 'a:b/c']) expect(admit(hello({ name }), {}, rules()).name).toBe(name);
    expect(admit(hello(), {}, rules()).name).toMatch(/^[0-9a-f]{32}$/);
    expect(admit(hello({ name: 'claimed' }), { name: 'window-1', trusted: true }, rules()).name).toBe('window-1');
  });

  it('a live name is NAME_TAKEN unless the hello carries that connection session, which replaces it', () => {
    const live = { name: 'c', uuid: 'u', session: 's1' } as Peer;
    const r = rules({ peers: new Map([['c', live]]) });
    expect(refusal(() => admit(hello({ name: 'c' }), {}, r))).toBe(ErrorCode.NAME_TAKEN);
    expect(refusal(() => admit(hello({ name: 'c', session: 'other' }), {}, r))).toBe(ErrorCode.NAME_TAKEN);
    expect(admit(hello({ name: 'c', session: 's1' }), {}, r)).toMatchObject({ name: 'c', session: 's1', replaces: live });
  });
});

describe('the allow policy of windows and utility processes', () => {
  const allow = allowPolicy({ server: ['log'], clients: { hasher: ['hash'] }, broadcasts: ['theme'] }, 'server')!;

  it('allows exactly the listed server commands, client commands and broadcasts', () => {
    expect(allow('log', undefined, 'request')).toBe(true);
    expect(allow('log', 'server', 'emit')).toBe(true);
    expect(allow('other', undefined, 'request')).toBe(false);
    expect(allow('hash', 'hasher', 'request')).toBe(true);
    expect(allow('hash', 'other', 'request')).toBe(false);
    expect(allow('theme', undefined, 'broadcast')).toBe(true);
    expect(allow('log', undefined, 'broadcast')).toBe(false);
  });
});
