import { PROTOCOL } from './protocol.js';
import { cutBinaryParts, restoreBinaryParts } from './binary-parts.js';
import { ErrorCode, IpcError } from './errors.js';
import type { BinaryPart, Message } from './messages.js';
import { validateMessage } from './message-validation.js';
import { MAX_NESTING_DEPTH } from './nesting.js';

/**
 * One frame on a byte stream (Unix socket, named pipe):
 *
 *   0                   4                   8
 *   +-------------------+-------------------+---------------------+---------+---------+
 *   | frameLength u32BE | jsonLength u32BE  | JSON, UTF-8         | blob 0  | blob 1  | ...
 *   +-------------------+-------------------+---------------------+---------+---------+
 *
 *   frameLength = bytes after its own field = 4 + jsonLength + sum(blob lengths)
 *   The JSON's `bin` array gives each blob's path and length, in order.
 *
 * The receiver reads the 8-byte header and checks frameLength against its
 * limit before it buffers a byte of the body.
 */
export const FRAME_LENGTH_BYTES = 4;
export const JSON_LENGTH_BYTES = 4;
export const FRAME_HEADER_BYTES = FRAME_LENGTH_BYTES + JSON_LENGTH_BYTES;
/** Largest value a u32 length field can hold. */
export const MAX_U32 = 0xffff_ffff;
export const DEFAULT_MAX_FRAME_SIZE: number = PROTOCOL.defaults.maxFrameSize;
/** Largest first frame a server accepts: the hello, from a peer not yet authenticated. */
export const MAX_HELLO_FRAME_SIZE = 256 * 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export interface EncodedFrame {
  /**
   * The frame's bytes: header and JSON in one chunk (a view into a shared
   * slab for small frames), then each blob as it was handed in (no copy).
   * The bytes are never written again once handed out.
   */
  chunks: Uint8Array[];
  /** The value of frameLength: what the receiver compares to its limit. */
  frameLength: number;
}

export function encodeFrame(message: Message): EncodedFrame {
  // Too deep is refused here, locally and with the connection kept, rather than by the peer, which would close it.
  const { json, parts, blobs } = cutBinaryParts(message as unknown as Record<string, unknown>, MAX_NESTING_DEPTH, () => describeForNesting(message));
  const text = JSON.stringify(parts.length > 0 ? { ...(json as object), bin: parts } : json);
  const head = frameSlab.headerAndJson(text);
  const jsonLength = head.jsonBytes;
  let frameLength = JSON_LENGTH_BYTES + jsonLength;
  for (const blob of blobs) frameLength += blob.byteLength;
  // A frame past u32 cannot be described at all; the size limit normally stops it far earlier.
  if (frameLength > MAX_U32) throw new IpcError(ErrorCode.FRAME_TOO_LARGE, `frame of ${frameLength} bytes cannot be encoded`);
  const header = head.chunks[0] as Uint8Array;
  writeU32BE(header, 0, frameLength);
  writeU32BE(header, FRAME_LENGTH_BYTES, jsonLength);
  const chunks = head.chunks;
  for (const blob of blobs) chunks.push(blob);
  return { chunks, frameLength };
}

/** What a NESTING_TOO_DEEP error names. */
function describeForNesting(message: Message): string {
  return `${message.kind}${'cmd' in message ? ` "${message.cmd}"` : ''}`;
}

/** Slabs are carved into frames of at most this many bytes; larger JSON gets its own buffer. */
const SLAB_BYTES = 64 * 1024;
/** UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units). */
const MAX_UTF8_BYTES_PER_UNIT = 3;

/**
 * Encodes header + JSON of small frames into views of a shared 64 KiB slab,
 * as Node's Buffer pool does: one allocation per slab rather than two per
 * frame (the JSON and an 8-byte header), and frames sent in a row lie side
 * by side, so a socket can write a burst as a few views, without joining
 * them by copying (see SocketPort). A slab is only ever appended to: the
 * bytes of a frame handed out are never overwritten, so a frame may wait in
 * a write queue as long as it needs.
 */
class FrameSlab {
  private slab = new Uint8Array(SLAB_BYTES);
  private offset = 0;

  /** chunks[0] starts with 8 header bytes for the caller to fill; jsonBytes: the JSON's UTF-8 length. */
  headerAndJson(text: string): { chunks: Uint8Array[]; jsonBytes: number } {
    const worstCase = FRAME_HEADER_BYTES + text.length * MAX_UTF8_BYTES_PER_UNIT;
    // Most JSON is ASCII: try the space left when it could fit, keep it if it did.
    if (SLAB_BYTES - this.offset >= FRAME_HEADER_BYTES + text.length) {
      const fitted = this.encodeHere(text);
      if (fitted) return fitted;
    }
    if (worstCase <= SLAB_BYTES) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.offset = 0;
      return this.encodeHere(text) as { chunks: Uint8Array[]; jsonBytes: number };
    }
    // Large JSON: its own buffer (encodeInto would need a 3x worst-case one), and the header on its own.
    const jsonBytes = utf8Encoder.encode(text);
    return { chunks: [new Uint8Array(FRAME_HEADER_BYTES), jsonBytes], jsonBytes: jsonBytes.byteLength };
  }

  private encodeHere(text: string): { chunks: Uint8Array[]; jsonBytes: number } | undefined {
    const start = this.offset;
    const { read, written } = utf8Encoder.encodeInto(text, this.slab.subarray(start + FRAME_HEADER_BYTES));
    if (read !== text.length) return undefined;
    const end = start + FRAME_HEADER_BYTES + written;
    this.offset = end;
    return { chunks: [this.slab.subarray(start, end)], jsonBytes: written };
  }
}

const frameSlab = new FrameSlab();

/*
 * Lengths are written and read byte by byte, not through a DataView: on a
 * small typed array, `new DataView(header.buffer)` first makes V8 move the
 * bytes off the JS heap, about a fifth of the cost of encoding a small
 * message on Node 20 (see BENCHMARKS.md).
 */
function writeU32BE(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = value >>> 16;
  bytes[offset + 2] = value >>> 8;
  bytes[offset + 3] = value;
}

function readU32BE(bytes: Uint8Array, offset: number): number {
  const at = (i: number): number => bytes[offset + i] as number;
  // Multiply the top byte rather than shift it: `<< 24` would turn lengths of 2 GiB and more negative.
  return at(0) * 0x100_0000 + ((at(1) << 16) | (at(2) << 8) | at(3));
}

const enum DecoderState {
  ReadingHeader,
  ReadingBody,
  Failed,
}

export interface FrameDecoderOptions {
  maxFrameSize: number;
  /** A lower limit for the first frame only (a server's hello, before the token is checked); default maxFrameSize. */
  maxFirstFrameSize?: number;
  /** Allocates the buffer a frame split across chunks is copied into (Node passes Buffer.allocUnsafe). */
  allocate?: (size: number) => Uint8Array;
  /**
   * A client's choice: a frame whose body cannot be decoded (bad JSON, fields, nesting) is passed
   * here and skipped, the stream going on with the next frame (its boundaries are intact). Without
   * it, such a frame fails the stream (the server's choice: the peer broke the protocol).
   */
  onUndecodable?: (error: IpcError) => void;
}

/**
 * Turns a byte stream, cut anywhere, into messages. A state machine with one
 * method per state; after a protocol error it stays failed, because the
 * stream position can no longer be trusted.
 */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = [];
  /** Bytes of chunks[0] already consumed: an index, so reading a header makes no view at all. */
  private consumed = 0;
  private buffered = 0;
  private state = DecoderState.ReadingHeader;
  private bodyLength = 0;
  private jsonLength = 0;
  private readonly maxFrameSize: number;
  /** The first frame's limit while it is still to come; undefined after. */
  private firstFrameLimit: number | undefined;
  private readonly allocate: (size: number) => Uint8Array;
  private readonly onUndecodable: ((error: IpcError) => void) | undefined;

  constructor(options: FrameDecoderOptions) {
    this.onUndecodable = options.onUndecodable;
    this.maxFrameSize = options.maxFrameSize;
    this.firstFrameLimit = options.maxFirstFrameSize;
    this.allocate = options.allocate ?? ((size) => new Uint8Array(size));
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Feeds a chunk; returns every message it completed. Throws IpcError (FRAME_TOO_LARGE, BAD_MESSAGE). */
  push(chunk: Uint8Array): Message[] {
    if (this.state === DecoderState.Failed) throw new IpcError(ErrorCode.BAD_MESSAGE, 'decoder already failed');
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.byteLength;
    }
    const messages: Message[] = [];
    try {
      for (;;) {
        if (this.state === DecoderState.ReadingHeader) {
          if (!this.readHeader()) break;
        } else if (!this.readBody(messages)) {
          break;
        }
      }
    } catch (error) {
      this.state = DecoderState.Failed;
      this.chunks.length = 0;
      this.consumed = 0;
      this.buffered = 0;
      throw error;
    }
    return messages;
  }

  private readHeader(): boolean {
    if (this.buffered < FRAME_HEADER_BYTES) return false;
    const first = this.chunks[0] as Uint8Array;
    let frameLength: number;
    let jsonLength: number;
    if (first.byteLength - this.consumed >= FRAME_HEADER_BYTES) {
      frameLength = readU32BE(first, this.consumed);
      jsonLength = readU32BE(first, this.consumed + FRAME_LENGTH_BYTES);
      this.advance(first, FRAME_HEADER_BYTES);
    } else {
      const header = this.take(FRAME_HEADER_BYTES);
      frameLength = readU32BE(header, 0);
      jsonLength = readU32BE(header, FRAME_LENGTH_BYTES);
    }
    const limit = Math.min(this.firstFrameLimit ?? this.maxFrameSize, this.maxFrameSize);
    if (frameLength > limit) {
      throw new IpcError(
        ErrorCode.FRAME_TOO_LARGE,
        `frame of ${frameLength} bytes exceeds the limit of ${limit}`,
        { data: { frameLength, maxFrameSize: limit } },
      );
    }
    if (frameLength < JSON_LENGTH_BYTES || jsonLength > frameLength - JSON_LENGTH_BYTES) {
      throw new IpcError(ErrorCode.BAD_MESSAGE, `inconsistent header: frameLength ${frameLength}, jsonLength ${jsonLength}`);
    }
    this.bodyLength = frameLength - JSON_LENGTH_BYTES;
    this.jsonLength = jsonLength;
    this.firstFrameLimit = undefined;
    this.state = DecoderState.ReadingBody;
    return true;
  }

  private readBody(out: Message[]): boolean {
    if (this.buffered < this.bodyLength) return false;
    const body = this.take(this.bodyLength);
    this.state = DecoderState.ReadingHeader;
    if (this.onUndecodable === undefined) {
      out.push(decodeBody(body, this.jsonLength));
      return true;
    }
    try {
      out.push(decodeBody(body, this.jsonLength));
    } catch (error) {
      this.onUndecodable(error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error)));
    }
    return true;
  }

  /** Removes n bytes from the front: a view when they sit in one chunk, one copy when they span several. */
  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0] as Uint8Array;
    const start = this.consumed;
    if (first.byteLength - start >= n) {
      this.advance(first, n);
      return first.subarray(start, start + n);
    }
    const out = this.allocate(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0] as Uint8Array;
      const from = this.consumed;
      const count = Math.min(chunk.byteLength - from, n - filled);
      out.set(from === 0 && count === chunk.byteLength ? chunk : chunk.subarray(from, from + count), filled);
      filled += count;
      this.advance(chunk, count);
    }
    return out;
  }

  /** Marks n bytes of the first chunk as consumed, dropping the chunk when it is used up. */
  private advance(first: Uint8Array, n: number): void {
    this.consumed += n;
    this.buffered -= n;
    if (this.consumed === first.byteLength) {
      this.chunks.shift();
      this.consumed = 0;
    }
  }
}

function decodeBody(body: Uint8Array, jsonLength: number): Message {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(body.subarray(0, jsonLength)));
  } catch (error) {
    throw new IpcError(ErrorCode.BAD_MESSAGE, `frame is not UTF-8 JSON: ${(error as Error).message}`);
  }
  const message = validateMessage(parsed, jsonLength);
  const parts = (message as { bin?: unknown }).bin;
  const blobBytes = body.byteLength - jsonLength;
  if (parts === undefined) {
    if (blobBytes !== 0) throw new IpcError(ErrorCode.BAD_MESSAGE, `${blobBytes} bytes after the JSON but no "bin" list`);
    return message;
  }
  const blobs = sliceBlobs(body, jsonLength, parts);
  delete (message as { bin?: unknown }).bin;
  restoreBinaryParts(message as unknown as Record<string, unknown>, parts as BinaryPart[], blobs);
  return message;
}

function sliceBlobs(body: Uint8Array, jsonLength: number, parts: unknown): Uint8Array[] {
  if (!Array.isArray(parts)) throw new IpcError(ErrorCode.BAD_MESSAGE, '"bin" must be an array');
  const blobs: Uint8Array[] = [];
  let offset = jsonLength;
  for (const part of parts as unknown[]) {
    const { path, length } = (part ?? {}) as Partial<BinaryPart>;
    if (!Array.isArray(path) || !Number.isSafeInteger(length) || (length as number) < 0) {
      throw new IpcError(ErrorCode.BAD_MESSAGE, '"bin" entries need a path array and a length');
    }
    const end = offset + (length as number);
    if (end > body.byteLength) throw new IpcError(ErrorCode.BAD_MESSAGE, '"bin" lengths run past the frame');
    blobs.push(body.subarray(offset, end));
    offset = end;
  }
  if (offset !== body.byteLength) throw new IpcError(ErrorCode.BAD_MESSAGE, '"bin" lengths do not add up to the frame');
  return blobs;
}
