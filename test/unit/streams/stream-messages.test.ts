import { describe, expect, it } from 'vitest';
import { IpcError } from '../../../lib/common/errors.js';
import { describeMessage, type Message } from '../../../lib/common/messages.js';
import { validateMessage } from '../../../lib/common/message-validation.js';

function refusal(value: unknown): string {
  try {
    validateMessage(value);
  } catch (error) {
    expect(error).toBeInstanceOf(IpcError);
    expect((error as IpcError).code).toBe('BAD_MESSAGE');
    return (error as IpcError).message;
  }
  throw new Error(`accepted ${JSON.stringify(value)}`);
}

describe('stream message validation', () => {
  it('accepts well-formed stream messages', () => {
    const good: Message[] = [
      { kind: 'stream-open', id: 1, cmd: 'tail', credit: 16 },
      { kind: 'stream-open', id: 2, cmd: 'tail', credit: 1, data: { path: '/x' }, to: 'hasher', from: 'a', fromUuid: 'u' },
      { kind: 'stream-item', id: 1, data: 'line' },
      { kind: 'stream-item', id: 1 },
      { kind: 'stream-credit', id: 1, n: 8 },
      { kind: 'stream-end', id: 1 },
      { kind: 'stream-end', id: 1, error: { code: 'HANDLER_ERROR', message: 'boom', remoteCode: 'E_X' } },
      { kind: 'stream-cancel', id: 1 },
    ];
    for (const message of good) expect(validateMessage(structuredClone(message))).toEqual(message);
  });

  it('refuses missing or wrong fields, naming the field', () => {
    expect(refusal({ kind: 'stream-open', id: 1, cmd: 'tail' })).toMatch(/"credit" must be a positive integer/);
    expect(refusal({ kind: 'stream-open', id: 1, cmd: 'tail', credit: 0 })).toMatch(/"credit"/);
    expect(refusal({ kind: 'stream-open', id: 1, cmd: 'tail', credit: 1.5 })).toMatch(/"credit"/);
    expect(refusal({ kind: 'stream-open', id: 1, credit: 1 })).toMatch(/"cmd" must be a string/);
    expect(refusal({ kind: 'stream-open', id: 1, cmd: 'tail', credit: 1, to: 5 })).toMatch(/"to" must be a string/);
    expect(refusal({ kind: 'stream-item', id: -1 })).toMatch(/"id" must be an integer from 0 to 2\^53 - 1/);
    expect(refusal({ kind: 'stream-credit', id: 1 })).toMatch(/"n" must be a positive integer/);
    expect(refusal({ kind: 'stream-credit', id: 1, n: -3 })).toMatch(/"n"/);
    expect(refusal({ kind: 'stream-end', id: 1, error: 'boom' })).toMatch(/"error" must be an object/);
    expect(refusal({ kind: 'stream-cancel', id: '1' })).toMatch(/"id"/);
  });

  it('hello and welcome may carry a features list of strings', () => {
    expect(validateMessage({ kind: 'hello', version: 1, features: ['streams'] })).toMatchObject({ features: ['streams'] });
    expect(refusal({ kind: 'hello', version: 1, features: 'streams' })).toMatch(/"features" must be an array of strings/);
    const welcome = { kind: 'welcome', version: 1, name: 'a', uuid: 'u', session: 's', serverName: 'main', maxFrameSize: 1024 };
    expect(validateMessage({ ...welcome, features: ['streams', 'future-thing'] })).toMatchObject({ features: ['streams', 'future-thing'] });
    expect(refusal({ ...welcome, features: [1] })).toMatch(/"features"/);
  });

  it('trace lines name the stream kind, id and credit', () => {
    expect(describeMessage({ kind: 'stream-open', id: 3, cmd: 'tail', credit: 16, to: 'h' })).toBe('stream-open tail #3 to=h credit=16');
    expect(describeMessage({ kind: 'stream-credit', id: 3, n: 8 })).toBe('stream-credit #3 n=8');
    expect(describeMessage({ kind: 'stream-end', id: 3, error: { code: 'CANCELLED', message: '' } })).toBe('stream-end #3 error=CANCELLED');
  });
});
