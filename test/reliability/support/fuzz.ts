import fc from 'fast-check';
import type { Message } from '../../../lib/common/messages.js';

/** Generators and a byte-level mutator shared by the codec fuzzer and the live-socket fuzzer. */

import { rawJsonFrame } from '../../support/frames.js';

export { concat, cut, frameBytes, rawJsonFrame } from '../../support/frames.js';

/** Lengths at the edges: zero, one, the u8/u16/u31/u32 boundaries. */
export const interestingU32 = [0, 1, 3, 4, 5, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000, 0x10_0000, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff];

/** Byte sequences that are not UTF-8: stray continuations, overlongs, surrogates, past U+10FFFF, truncated leads. */
export const invalidUtf8: number[][] = [
  [0x80],
  [0xbf],
  [0xc0, 0x80],
  [0xc1, 0xbf],
  [0xc2],
  [0xe0, 0x80, 0x80],
  [0xe2, 0x82],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf0, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xfe],
  [0xff],
];

const json = fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('}{', '\f', '\n', '\u0000', '"', '\\', '\ud800', '__proto__', 'constructor', 'ipcio:discover'));
const bytes = fc.uint8Array({ maxLength: 64 });
/** Data with binary values anywhere in it. */
export const payload: fc.Arbitrary<unknown> = fc.oneof(
  json,
  text,
  bytes,
  fc.dictionary(text, fc.oneof(json, bytes), { maxKeys: 4 }),
  fc.array(fc.oneof(json, bytes), { maxLength: 4 }),
);
const name = fc.oneof(fc.constantFrom('by-0', 'by-1', 'server', 'nobody', '__proto__', 'constructor', ''), fc.string({ maxLength: 12 }));
const id = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 31, Number.MAX_SAFE_INTEGER));
const cmd = fc.oneof(fc.constantFrom('echo', 'double', 'seq', 'slow', 'ipcio:discover', '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''), fc.string({ maxLength: 12 }));
const wireError = fc.record({ code: fc.constantFrom('TIMEOUT', 'HANDLER_ERROR', 'NOT_A_CODE', '__proto__'), message: fc.string({ maxLength: 20 }) });

/** Messages a client may send after its welcome (well-formed; the mutator breaks them). */
export const clientMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ kind: fc.constant('emit' as const), cmd, data: payload, to: fc.option(name, { nil: undefined }) }, { requiredKeys: ['kind', 'cmd'] }),
  fc.record({ kind: fc.constant('request' as const), id, cmd, data: payload, to: fc.option(name, { nil: undefined }) }, { requiredKeys: ['kind', 'id', 'cmd'] }),
  fc.record({ kind: fc.constant('broadcast' as const), cmd, data: payload }, { requiredKeys: ['kind', 'cmd'] }),
  fc.record({ kind: fc.constant('response' as const), id, data: payload, error: wireError }, { requiredKeys: ['kind', 'id'] }),
  fc.record({ kind: fc.constant('cancel' as const), id }),
  fc.record({ kind: fc.constant('commands' as const), commands: fc.array(cmd, { maxLength: 5 }) }),
  fc.record({ kind: fc.constant('error' as const), error: wireError, fatal: fc.boolean() }, { requiredKeys: ['kind', 'error'] }),
).map((m) => {
  // fc.record leaves optional keys out, but an `undefined` from fc.option must go too: JSON drops it anyway.
  for (const key of Object.keys(m)) if ((m as Record<string, unknown>)[key] === undefined) delete (m as Record<string, unknown>)[key];
  return m as Message;
});

/** A hello, mostly well-formed: the token right or wrong, names odd, limits odd. */
export const hello = (token: string): fc.Arbitrary<Message> =>
  fc
    .record(
      {
        kind: fc.constant('hello' as const),
        version: fc.oneof(fc.constant(1), fc.integer({ min: -2, max: 3 }), fc.double()),
        name: fc.oneof(name, fc.constant('x'.repeat(129)), fc.constant('a\u0000b')),
        // A token field is refused (it never crosses the wire); a nonce, right or malformed, is what clients send.
        token: fc.oneof(fc.constant(token), fc.string({ maxLength: 8 }), fc.constant(`${token}\u0000`)),
        nonce: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ maxLength: 70 })),
        session: fc.string({ maxLength: 8 }),
        commands: fc.array(cmd, { maxLength: 4 }),
        maxFrameSize: fc.oneof(fc.integer({ min: -1, max: 2 ** 31 }), fc.constantFrom(0, 1, 100, 2 ** 53)),
      },
      { requiredKeys: ['kind', 'version'] },
    )
    .map((m) => m as Message);

/** One byte-level mutation. */
export type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'delete'; at: number; length: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'u32'; at: number; value: number }
  | { op: 'duplicate'; at: number; length: number }
  | { op: 'truncate'; at: number };

const at = fc.nat();
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at, value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x80, 0xff)) }),
  fc.record({ op: fc.constant('delete' as const), at, length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at,
    bytes: fc.oneof(
      fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
      fc.constantFrom(...invalidUtf8),
      fc.constantFrom<number[]>([0x22], [0x5c, 0x75], [0x7b], [0x7d, 0x7b]),
    ),
  }),
  // Header fields sit at offsets 0 and 4 of a frame: aim there half the time.
  fc.record({ op: fc.constant('u32' as const), at: fc.oneof(fc.constantFrom(0, 4), at), value: fc.oneof(fc.constantFrom(...interestingU32), fc.integer({ min: 0, max: 0xffff_ffff })) }),
  fc.record({ op: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 32 }) }),
  fc.record({ op: fc.constant('truncate' as const), at }),
);

export function mutate(input: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = Array.from(input);
  for (const m of mutations) {
    const i = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.op) {
      case 'flip':
        if (bytes.length > 0) bytes[i] = (bytes[i] as number) ^ (1 << m.bit);
        break;
      case 'set':
        if (bytes.length > 0) bytes[i] = m.value;
        break;
      case 'delete':
        bytes.splice(i, m.length);
        break;
      case 'insert':
        bytes.splice(i, 0, ...m.bytes);
        break;
      case 'u32': {
        const word = [m.value >>> 24, (m.value >>> 16) & 255, (m.value >>> 8) & 255, m.value & 255];
        const start = Math.min(i, Math.max(0, bytes.length - 4));
        bytes.splice(start, 4, ...word);
        break;
      }
      case 'duplicate':
        bytes.splice(i, 0, ...bytes.slice(i, i + m.length));
        break;
      case 'truncate':
        bytes = bytes.slice(0, i);
        break;
    }
  }
  return Uint8Array.from(bytes);
}

/** `[[[...]]]` or `{"a":{"a":...}}` nested `depth` deep, as JSON text. */
export function nested(depth: number, style: 'array' | 'object'): string {
  return style === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** Messages whose JSON carries prototype keys in every place one can sit, and `bin` paths through them. */
export const prototypeKeyFrames: Uint8Array[] = [
  rawJsonFrame('{"kind":"emit","cmd":"echo","data":{"__proto__":{"polluted":true}}}'),
  rawJsonFrame('{"kind":"emit","cmd":"echo","__proto__":{"polluted":true,"kind":"hello"}}'),
  rawJsonFrame('{"kind":"request","id":1,"cmd":"echo","data":{"constructor":{"prototype":{"polluted":true}}}}'),
  rawJsonFrame('{"kind":"request","id":2,"cmd":"echo","data":[{"__proto__":[1]}],"to":"__proto__"}'),
  rawJsonFrame('{"kind":"broadcast","cmd":"__proto__","data":{"__proto__":null}}'),
  rawJsonFrame('{"kind":"emit","cmd":"x","data":{"a":null},"bin":[{"path":["data","__proto__"],"length":1}]}', [Uint8Array.of(1)]),
  rawJsonFrame('{"kind":"emit","cmd":"x","data":{"a":null},"bin":[{"path":["__proto__","polluted"],"length":1}]}', [Uint8Array.of(1)]),
  rawJsonFrame('{"kind":"emit","cmd":"x","data":{"a":null},"bin":[{"path":["data","constructor","prototype","polluted"],"length":1}]}', [Uint8Array.of(1)]),
  rawJsonFrame('{"kind":"emit","cmd":"x","data":{"a":null},"bin":[{"path":["data","a"],"length":1,"__proto__":{"length":0}}]}', [Uint8Array.of(1)]),
  rawJsonFrame('{"kind":"emit","cmd":"x","data":{"prototype":null},"bin":[{"path":["data","prototype"],"length":1}]}', [Uint8Array.of(1)]),
  rawJsonFrame('{"kind":"response","id":1,"error":{"code":"TIMEOUT","message":"m","__proto__":{"code":"CLOSED"}}}'),
];

/** A snapshot of Object.prototype, to prove nothing was added to it. */
export function prototypeSnapshot(): string {
  return JSON.stringify([Object.getOwnPropertyNames(Object.prototype).sort(), Object.getOwnPropertyNames(Array.prototype).sort(), ({} as { polluted?: unknown }).polluted]);
}
