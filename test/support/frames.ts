import { encodeFrame, FRAME_HEADER_BYTES } from '../../lib/common/frame-codec.js';
import type { Message } from '../../lib/common/messages.js';

/** Byte-level helpers for tests that build, join and cut frames by hand. */

export function frameBytes(message: Message): Uint8Array {
  return concat(encodeFrame(message).chunks);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Cuts `bytes` at the given offsets (taken modulo the length, sorted, deduplicated). */
export function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** A frame whose JSON is the given text, byte for byte (for JSON no encoder would produce). */
export function rawJsonFrame(json: Uint8Array | string, blobs: Uint8Array[] = []): Uint8Array {
  const jsonBytes = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const blobBytes = blobs.reduce((n, b) => n + b.byteLength, 0);
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(header.buffer);
  view.setUint32(0, 4 + jsonBytes.byteLength + blobBytes);
  view.setUint32(4, jsonBytes.byteLength);
  return concat([header, jsonBytes, ...blobs]);
}
