import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { FrameDecoder, FRAME_HEADER_BYTES } from '../../lib/common/frame-codec.js';
import { MessageKind, type Message } from '../../lib/common/messages.js';
import { concat, cut, frameBytes, rawJsonFrame } from '../support/frames.js';

function decodeAll(pieces: Uint8Array[], maxFrameSize = 1 << 20): Message[] {
  const decoder = new FrameDecoder({ maxFrameSize });
  return pieces.flatMap((piece) => decoder.push(piece));
}

const emit = (cmd: string, data: unknown): Message => ({ kind: MessageKind.Emit, cmd, data });

const delimiterPayloads = ['}{', '"}{"', '\f', '\n', '\r\n', '}\n{', '\u0000', '{"kind":"hello"}{'];

describe('frame codec', () => {
  it('decodes any stream of frames whatever the chunking (property)', () => {
    const payload = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.constantFrom(...delimiterPayloads),
      // JSON has no -0: normalise the generator's values to what JSON can say.
      fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes })),
    );
    let runs = 0;
    fc.assert(
      fc.property(fc.array(payload, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 40 }), (payloads, cuts) => {
        runs += 1;
        const messages = payloads.map((data, i) => emit(`cmd${i}`, data));
        const stream = concat(messages.map(frameBytes));
        const decoded = decodeAll(cut(stream, cuts));
        expect(decoded).toEqual(messages);
      }),
      { numRuns: 300 },
    );
    expect(runs).toBe(300);
  });

  it('delivers each message when fed one byte at a time', () => {
    const messages = delimiterPayloads.map((data) => emit('text', data));
    const stream = concat(messages.map(frameBytes));
    const pieces = Array.from(stream, (byte) => Uint8Array.of(byte));
    expect(decodeAll(pieces)).toEqual(messages);
  });

  it('reassembles a multibyte character split across chunks', () => {
    const text = 'ż😀中\u{10FFFF}é';
    const bytes = frameBytes(emit('utf8', text));
    const jsonStart = FRAME_HEADER_BYTES + new TextDecoder().decode(bytes.subarray(FRAME_HEADER_BYTES)).indexOf('ż');
    // Cut inside the two-byte "ż" and inside the four-byte emoji.
    const decoded = decodeAll(cut(bytes, [jsonStart + 1, jsonStart + 4]));
    expect(decoded).toEqual([emit('utf8', text)]);
  });

  it('waits for a header split across chunks', () => {
    const bytes = frameBytes(emit('a', 1));
    const decoder = new FrameDecoder({ maxFrameSize: 1024 });
    expect(decoder.push(bytes.subarray(0, 3))).toEqual([]);
    expect(decoder.push(bytes.subarray(3, 7))).toEqual([]);
    expect(decoder.push(bytes.subarray(7))).toEqual([emit('a', 1)]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('carries binary values as raw bytes at their paths, not base64', () => {
    const blob = new Uint8Array([0x7d, 0x7b, 0x0c, 0x0a, 0x00, 0xff]); // "}{\f\n\0\xff"
    const message = emit('bin', { file: blob, list: [1, blob.subarray(1, 3)], nested: { deep: [{ b: new Uint8Array(0) }] } });
    const bytes = frameBytes(message);
    const jsonLength = new DataView(bytes.buffer).getUint32(4);
    const json = new TextDecoder().decode(bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + jsonLength));
    expect(JSON.parse(json).bin).toEqual([
      { path: ['data', 'file'], length: 6 },
      { path: ['data', 'list', 1], length: 2 },
      { path: ['data', 'nested', 'deep', 0, 'b'], length: 0 },
    ]);
    // Neither the bytes' base64 nor a JSON array of numbers is in the JSON: the bytes follow it raw, in path order.
    for (const part of [blob, blob.subarray(1, 3)]) {
      expect(json).not.toContain(Buffer.from(part).toString('base64'));
      expect(json).not.toContain(JSON.stringify([...part]).slice(1, -1));
    }
    expect([...bytes.subarray(FRAME_HEADER_BYTES + jsonLength)]).toEqual([...blob, ...blob.subarray(1, 3)]);
    const [decoded] = decodeAll([bytes]);
    expect(decoded).toEqual(message);
    expect((decoded as { data: { file: unknown } }).data.file).toBeInstanceOf(Uint8Array);
  });

  it('keeps "__proto__" keys in user data as plain data', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "b": null}') as Record<string, unknown>;
    data.b = new Uint8Array([1]);
    const [decoded] = decodeAll([frameBytes(emit('p', data))]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn((decoded as { data: object }).data, '__proto__')).toBe(true);
  });

  it('refuses a frame over the limit from its header, before the body arrives', () => {
    const header = new Uint8Array(FRAME_HEADER_BYTES);
    new DataView(header.buffer).setUint32(0, 0xffff_ffff);
    new DataView(header.buffer).setUint32(4, 2);
    const decoder = new FrameDecoder({ maxFrameSize: 1024 });
    expect(() => decoder.push(header)).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
    expect(decoder.bufferedBytes).toBe(0);
    // A decoder that failed stays failed: the stream position is lost.
    expect(() => decoder.push(frameBytes(emit('a', 1)))).toThrow(IpcError);
  });

  it('counts binary parts toward the frame limit', () => {
    const bytes = frameBytes(emit('big', new Uint8Array(2048)));
    expect(() => decodeAll([bytes], 1024)).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
  });

  it.each([
    ['not JSON', '{"kind":'],
    ['a JSON array', '[1,2]'],
    ['an unknown kind', '{"kind":"launch"}'],
    ['a request without id', '{"kind":"request","cmd":"x"}'],
    ['bin past the end', '{"kind":"emit","cmd":"x","data":null,"bin":[{"path":["data"],"length":99}]}'],
    ['bin into the prototype', '{"kind":"emit","cmd":"x","data":{},"bin":[{"path":["data","__proto__"],"length":0}]}'],
    ['bin at a missing key', '{"kind":"emit","cmd":"x","data":{},"bin":[{"path":["data","nope"],"length":0}]}'],
    ['bin overwriting a value', '{"kind":"emit","cmd":"x","data":1,"bin":[{"path":["data"],"length":0}]}'],
    ['bin with a string index into an array', '{"kind":"emit","cmd":"x","data":[null],"bin":[{"path":["data","0"],"length":0}]}'],
    ['two bin parts for one placeholder', '{"kind":"emit","cmd":"x","data":null,"bin":[{"path":["data"],"length":0},{"path":["data"],"length":0}]}'],
  ])('rejects %s with BAD_MESSAGE', (_label, json) => {
    expect(() => decodeAll([rawJsonFrame(json)])).toThrow(expect.objectContaining({ code: ErrorCode.BAD_MESSAGE }));
  });

  it('rejects invalid UTF-8 with BAD_MESSAGE', () => {
    const frame = new Uint8Array([0, 0, 0, 7, 0, 0, 0, 3, 0x22, 0xc3, 0x22]);
    expect(() => decodeAll([frame])).toThrow(expect.objectContaining({ code: ErrorCode.BAD_MESSAGE }));
  });

  it('rejects a header whose JSON length exceeds the frame', () => {
    const frame = new Uint8Array([0, 0, 0, 4, 0, 0, 0, 9]);
    expect(() => decodeAll([frame])).toThrow(expect.objectContaining({ code: ErrorCode.BAD_MESSAGE }));
  });
});
