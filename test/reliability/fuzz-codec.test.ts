import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES } from '../../lib/common/frame-codec.js';
import type { Message } from '../../lib/common/messages.js';
import { validateMessage } from '../../lib/common/message-validation.js';
import {
  clientMessage,
  concat,
  cut,
  frameBytes,
  hello,
  interestingU32,
  invalidUtf8,
  mutate,
  mutation,
  nested,
  prototypeKeyFrames,
  prototypeSnapshot,
  rawJsonFrame,
} from './support/fuzz.js';
import { MiB, reportFigures, scale } from './support/harness.js';

/**
 * Property-based and mutation fuzzing of the frame decoder and the message
 * validation, in process: whatever the bytes, the decoder returns valid
 * messages or throws IpcError BAD_MESSAGE / FRAME_TOO_LARGE, never anything
 * else; it never allocates ahead of the bytes it holds; it never buffers more
 * than one frame; and nothing reaches Object.prototype.
 */
const runs = (short: number): number => scale(short, short * 25);
const tally: Record<string, number> = {};
const outcomes: Record<string, number> = {};
let inputs = 0;
const prototypeBefore = prototypeSnapshot();

/** Feeds pieces to a decoder and checks every invariant on the way. Returns what happened. */
function feed(pieces: Uint8Array[], maxFrameSize: number, maxFirstFrameSize?: number): { messages: Message[]; error?: IpcError } {
  let received = 0;
  const decoder = new FrameDecoder({
    maxFrameSize,
    maxFirstFrameSize,
    allocate: (size) => {
      // Never allocate for bytes that have not arrived: a header alone cannot make it reserve memory.
      if (size > received) throw new Error(`allocated ${size} bytes with only ${received} received`);
      return new Uint8Array(size);
    },
  });
  const messages: Message[] = [];
  for (const piece of pieces) {
    received += piece.byteLength;
    try {
      messages.push(...decoder.push(piece));
    } catch (error) {
      if (!(error instanceof IpcError)) throw error;
      expect([ErrorCode.BAD_MESSAGE, ErrorCode.FRAME_TOO_LARGE]).toContain(error.code);
      expect(decoder.bufferedBytes).toBe(0);
      // A failed decoder stays failed: the stream position is lost.
      expect(() => decoder.push(Uint8Array.of(0))).toThrow(IpcError);
      outcomes[error.code] = (outcomes[error.code] ?? 0) + 1;
      return { messages, error };
    }
    // Whatever is held is less than one frame: a header, or one body up to the limit.
    expect(decoder.bufferedBytes).toBeLessThan(FRAME_HEADER_BYTES + maxFrameSize);
  }
  for (const message of messages) {
    // What comes out passes validation again, and can be encoded and decoded to the same bytes.
    expect(validateMessage(message)).toBe(message);
    const once = frameBytes(message);
    const again = new FrameDecoder({ maxFrameSize: once.byteLength }).push(once);
    expect(Buffer.compare(frameBytes(again[0] as Message), once)).toBe(0);
  }
  outcomes[decoder.bufferedBytes > 0 ? 'incomplete' : 'decoded'] = (outcomes[decoder.bufferedBytes > 0 ? 'incomplete' : 'decoded'] ?? 0) + 1;
  return { messages };
}

/** Encodes a generated stream; undefined when the encoder refuses it (binary data under a prototype key). */
function encodeAll(messages: Message[]): Uint8Array | undefined {
  try {
    return concat(messages.map(frameBytes));
  } catch (error) {
    expect(error).toMatchObject({ code: ErrorCode.INVALID_ARGUMENT, message: expect.stringMatching(/binary data under the key "(__proto__|prototype|constructor)"/) });
    outcomes.refusedByEncoder = (outcomes.refusedByEncoder ?? 0) + 1;
    return undefined;
  }
}

function count(property: string, n = 1): void {
  tally[property] = (tally[property] ?? 0) + n;
  inputs += n;
}

describe('fuzzing the frame decoder and message validation', () => {
  afterAll(() => {
    expect(prototypeSnapshot()).toBe(prototypeBefore);
    reportFigures('fuzz/codec', { inputs, ...tally, outcomes: JSON.stringify(outcomes) });
  });

  it('random bytes, cut anywhere', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.array(fc.nat(), { maxLength: 8 }), fc.integer({ min: 4, max: 4096 }), (bytes, cuts, limit) => {
        count('randomBytes');
        feed(cut(bytes, cuts), limit);
      }),
      { numRuns: runs(2_000) },
    );
  });

  it('random bytes behind a plausible header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.array(fc.nat(), { maxLength: 8 }), (body, cuts) => {
        count('randomBodies');
        const jsonLength = body.byteLength === 0 ? 0 : (body[0] as number) % body.byteLength;
        feed(cut(concat([headerOf(4 + body.byteLength, jsonLength), body]), cuts), 4096);
      }),
      { numRuns: runs(2_000) },
    );
  });

  it('valid streams truncated anywhere: exactly the complete frames come out, the rest waits', () => {
    fc.assert(
      fc.property(fc.array(clientMessage, { minLength: 1, maxLength: 6 }), fc.nat(), fc.array(fc.nat(), { maxLength: 8 }), (messages, at, cuts) => {
        count('truncated');
        if (encodeAll(messages) === undefined) return;
        const frames = messages.map(frameBytes);
        const stream = concat(frames);
        const end = at % (stream.byteLength + 1);
        const { messages: out, error } = feed(cut(stream.subarray(0, end), cuts), 1 << 20);
        expect(error).toBeUndefined();
        let complete = 0;
        for (let i = 0, size = 0; i < frames.length; i += 1) {
          size += (frames[i] as Uint8Array).byteLength;
          if (size <= end) complete += 1;
        }
        expect(out).toHaveLength(complete);
      }),
      { numRuns: runs(1_500) },
    );
  });

  it('valid streams mutated (bit flips, bytes set, inserted, deleted, duplicated, length fields rewritten, truncated)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(clientMessage, hello('sesame')), { minLength: 1, maxLength: 4 }),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.option(fc.integer({ min: 16, max: 1024 }), { nil: undefined }),
        (messages, mutations, cuts, firstLimit) => {
          count('mutated');
          const stream = encodeAll(messages);
          if (stream !== undefined) feed(cut(mutate(stream, mutations), cuts), 1 << 16, firstLimit);
        },
      ),
      { numRuns: runs(4_000) },
    );
  });

  it('length headers anywhere in 0 .. 2^32-1: refused from the header, before any body byte is buffered', () => {
    const u32 = fc.oneof(fc.constantFrom(...interestingU32), fc.integer({ min: 0, max: 0xffff_ffff }));
    fc.assert(
      fc.property(u32, u32, fc.integer({ min: 4, max: 64 * MiB }), fc.uint8Array({ maxLength: 64 }), (frameLength, jsonLength, limit, body) => {
        count('lengthHeaders');
        const { error } = feed([headerOf(frameLength, jsonLength), body], limit);
        if (frameLength > limit) expect(error?.code).toBe(ErrorCode.FRAME_TOO_LARGE);
        else if (frameLength < 4 || jsonLength > frameLength - 4) expect(error?.code).toBe(ErrorCode.BAD_MESSAGE);
      }),
      { numRuns: runs(3_000) },
    );
    // The first-frame limit (a server's hello) applies from the header too.
    for (const length of [256 * 1024 + 1, 0xffff_ffff]) {
      count('lengthHeaders');
      expect(feed([headerOf(length, 4)], 64 * MiB, 256 * 1024).error?.code).toBe(ErrorCode.FRAME_TOO_LARGE);
    }
  });

  it('deeply nested JSON decodes or is refused, never overflowing the stack', () => {
    const depths = scale([10, 1_000, 10_000, 100_000, 1_000_000], [10, 100, 1_000, 5_000, 10_000, 50_000, 100_000, 500_000, 1_000_000, 4_000_000]);
    for (const depth of depths) {
      for (const style of ['array', 'object'] as const) {
        count('deepNesting');
        const frame = rawJsonFrame(`{"kind":"emit","cmd":"deep","data":${nested(depth, style)}}`);
        feedDeep(frame);
      }
    }
  });

  it('huge strings up to the frame limit decode; one byte over is refused from the header', () => {
    const sizes = scale([1 * MiB, 16 * MiB], [1 * MiB, 16 * MiB, 48 * MiB, 63 * MiB]);
    for (const size of sizes) {
      count('hugeStrings');
      const message: Message = { kind: 'emit', cmd: 'big', data: 'ż'.repeat(size / 2) }; // 2 bytes each in UTF-8
      const frame = frameBytes(message);
      const decoder = new FrameDecoder({ maxFrameSize: 64 * MiB });
      const [decoded] = decoder.push(frame);
      expect((decoded as { data: string }).data.length).toBe(size / 2);
      count('hugeStrings');
      const tight = new FrameDecoder({ maxFrameSize: frame.byteLength - FRAME_HEADER_BYTES - 1 });
      expect(() => tight.push(frame.subarray(0, FRAME_HEADER_BYTES))).toThrow(expect.objectContaining({ code: ErrorCode.FRAME_TOO_LARGE }));
    }
  });

  it('invalid UTF-8 anywhere in the JSON is BAD_MESSAGE; valid multibyte text is not', () => {
    const json = '{"kind":"emit","cmd":"t","data":"abc"}';
    fc.assert(
      fc.property(fc.constantFrom(...invalidUtf8), fc.integer({ min: 0, max: json.length }), (sequence, at) => {
        count('invalidUtf8');
        const bytes = new TextEncoder().encode(json);
        const broken = concat([bytes.subarray(0, at), Uint8Array.from(sequence), bytes.subarray(at)]);
        expect(feed([rawJsonFrame(broken)], 1 << 20).error?.code).toBe(ErrorCode.BAD_MESSAGE);
      }),
      { numRuns: runs(500) },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        count('invalidUtf8');
        // Lone surrogates are escaped by JSON.stringify, so every string survives the round trip.
        const { messages, error } = feed([frameBytes({ kind: 'emit', cmd: 't', data: text })], 1 << 20);
        expect(error).toBeUndefined();
        expect((messages[0] as { data: string }).data).toBe(text);
      }),
      { numRuns: runs(500) },
    );
  });

  it('prototype keys (__proto__, constructor, prototype) stay data, and bin paths through them are refused', () => {
    for (const frame of prototypeKeyFrames) {
      count('prototypeKeys');
      const { messages, error } = feed([frame], 1 << 20);
      for (const message of messages) expect(Object.getPrototypeOf(message)).toBe(Object.prototype);
      if (new TextDecoder().decode(frame).includes('"bin"')) expect(error?.code === ErrorCode.BAD_MESSAGE || messages.length === 1).toBe(true);
    }
    expect(prototypeSnapshot()).toBe(prototypeBefore);
    // Random objects with prototype keys at random depths, as JSON text (an object literal would not keep them).
    const key = fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', 'toString');
    const tree: fc.Arbitrary<string> = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constantFrom('null', '1', '"x"', '{}', '[]'), fc.array(fc.tuple(key, tie('node')), { maxLength: 3 }).map((entries) => `{${entries.map(([k, v]) => `"${k}":${v}`).join(',')}}`)),
    })).node;
    fc.assert(
      fc.property(tree, fc.array(key, { minLength: 1, maxLength: 4 }), (data, path) => {
        count('prototypeKeys');
        feed([rawJsonFrame(`{"kind":"emit","cmd":"p","data":${data}}`)], 1 << 20);
        const withBin = `{"kind":"emit","cmd":"p","data":${data},"bin":[{"path":${JSON.stringify(['data', ...path])},"length":1}]}`;
        const { error } = feed([rawJsonFrame(withBin, [Uint8Array.of(7)])], 1 << 20);
        if (path.some((k) => k !== 'a' && k !== 'toString')) expect(error?.code).toBe(ErrorCode.BAD_MESSAGE);
        expect(prototypeSnapshot()).toBe(prototypeBefore);
      }),
      { numRuns: runs(1_000) },
    );
  });

  it('validateMessage takes any value (as a MessagePort delivers) and returns it or throws BAD_MESSAGE', () => {
    const kind = fc.constantFrom('hello', 'welcome', 'emit', 'request', 'response', 'cancel', 'broadcast', 'commands', 'error', '__proto__', 'toString');
    fc.assert(
      fc.property(fc.oneof(fc.anything({ withMap: true, withSet: true, withDate: true, withTypedArray: true, withNullPrototype: true, withBigInt: true }), fc.dictionary(fc.constantFrom('kind', 'id', 'cmd', 'to', 'error', 'version', 'commands', 'maxFrameSize', 'name'), fc.oneof(kind, fc.anything()))), (value) => {
        count('validateAnything');
        try {
          validateMessage(value);
        } catch (error) {
          expect(error).toBeInstanceOf(IpcError);
          expect((error as IpcError).code).toBe(ErrorCode.BAD_MESSAGE);
        }
      }),
      { numRuns: runs(3_000) },
    );
  });
});

function headerOf(frameLength: number, jsonLength: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(header.buffer).setUint32(0, frameLength);
  new DataView(header.buffer).setUint32(4, jsonLength);
  return header;
}

/** Deep values decode (V8's JSON.parse does not recurse); what matters is that nothing but IpcError escapes. */
function feedDeep(frame: Uint8Array): void {
  const decoder = new FrameDecoder({ maxFrameSize: 64 * MiB });
  try {
    decoder.push(frame);
    outcomes.deepDecoded = (outcomes.deepDecoded ?? 0) + 1;
  } catch (error) {
    expect(error).toBeInstanceOf(IpcError);
    outcomes[`deep${(error as IpcError).code}`] = (outcomes[`deep${(error as IpcError).code}`] ?? 0) + 1;
  }
  void encodeFrame;
}
