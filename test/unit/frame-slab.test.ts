import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, FRAME_HEADER_BYTES } from '../../lib/common/frame-codec.js';
import { MessageKind, type Message } from '../../lib/common/messages.js';
import { joinAdjacent } from '../../lib/node/socket-port.js';
import { concat } from '../support/frames.js';

const emit = (cmd: string, data: unknown): Message => ({ kind: MessageKind.Emit, cmd, data });

/** A plain Uint8Array (a Buffer would make the decoded blobs Buffers, which toEqual tells apart). */
function bytesOf(message: Message): Uint8Array {
  return concat(encodeFrame(message).chunks);
}

function decodeOne(bytes: Uint8Array): Message {
  const messages = new FrameDecoder({ maxFrameSize: 1 << 24 }).push(bytes);
  expect(messages).toHaveLength(1);
  return messages[0] as Message;
}

describe('frame encoding into a shared slab', () => {
  it('never rewrites the bytes of a frame already handed out, across many later frames and new slabs', () => {
    const first = encodeFrame(emit('first', 'kept as it was'));
    const snapshot = Buffer.concat(first.chunks);
    // Enough frames to fill several 64 KiB slabs, with multibyte text that does not fit where ASCII would.
    for (let i = 0; i < 5_000; i += 1) encodeFrame(emit('later', i % 7 === 0 ? 'é€😀'.repeat(50) : 'x'.repeat(i % 200)));
    expect(Buffer.concat(first.chunks).equals(snapshot)).toBe(true);
    expect(decodeOne(snapshot)).toEqual(emit('first', 'kept as it was'));
  });

  it('puts frames encoded in a row side by side, so joinAdjacent makes one view of them with the same bytes', () => {
    const messages = Array.from({ length: 50 }, (_, i) => emit('tick', `message ${i}`));
    const chunks = messages.flatMap((message) => encodeFrame(message).chunks);
    const separately = Buffer.concat(chunks);
    const joined = joinAdjacent(chunks);
    // A new slab may start inside the run: at most two views, never fifty.
    expect(joined.length).toBeLessThanOrEqual(2);
    expect(Buffer.concat(joined).equals(separately)).toBe(true);
    const decoded = new FrameDecoder({ maxFrameSize: 1 << 20 }).push(Buffer.concat(joined));
    expect(decoded).toEqual(messages);
  });

  it('keeps chunks that are not side by side apart, in order', () => {
    const a = new Uint8Array([1, 2, 3, 4]);
    const b = new Uint8Array([5, 6]);
    const shared = new Uint8Array([7, 8, 9, 10]);
    const joined = joinAdjacent([a, shared.subarray(0, 2), shared.subarray(2, 4), b, shared.subarray(0, 1)]);
    expect(joined.map((chunk) => [...chunk])).toEqual([[1, 2, 3, 4], [7, 8, 9, 10], [5, 6], [7]]);
  });

  it('encodes JSON too large for a slab, and multibyte text, to the same frames a decoder reads back', () => {
    const large = emit('large', 'ü'.repeat(100_000));
    const chunks = encodeFrame(large).chunks;
    expect(chunks[0]?.byteLength).toBe(FRAME_HEADER_BYTES);
    expect(decodeOne(bytesOf(large))).toEqual(large);
    const withBytes = emit('bytes', { blob: new Uint8Array([1, 2, 3]), text: '😀' });
    expect(decodeOne(bytesOf(withBytes))).toEqual(withBytes);
  });
});
