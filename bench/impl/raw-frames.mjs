// The ceiling: ipcio's wire format (u32BE frameLength, u32BE jsonLength, JSON,
// then one optional blob) written by hand over node:net, with none of the
// library's routing, validation or bookkeeping. Buffering is linear: chunks
// are kept in a list and copied once per frame, only when a frame spans
// chunks; writes are batched per tick.

const HEADER_BYTES = 8;
/** Chunks below this are copied into one buffer per flush; larger ones are written as they are. */
const COALESCE_BELOW = 64 * 1024;

/** Encodes a message (and optionally one binary blob, placed at message.data) as frame chunks. */
export function encodeFrame(message, blob) {
  const json = JSON.stringify(blob ? { ...message, data: null, bin: [{ path: ['data'], length: blob.byteLength }] } : message);
  const jsonLength = Buffer.byteLength(json);
  const head = Buffer.allocUnsafe(HEADER_BYTES + jsonLength);
  head.writeUInt32BE(4 + jsonLength + (blob ? blob.byteLength : 0), 0);
  head.writeUInt32BE(jsonLength, 4);
  head.write(json, HEADER_BYTES, 'utf8');
  return blob ? [head, blob] : [head];
}

/** Collects frames sent during one tick and writes them with one cork/uncork (one writev). */
export class FrameWriter {
  constructor(socket) {
    this.socket = socket;
    this.pending = [];
    this.scheduled = false;
    this.flush = this.flush.bind(this);
  }

  send(chunks) {
    for (const chunk of chunks) this.pending.push(chunk);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flush);
    }
  }

  flush() {
    this.scheduled = false;
    const chunks = this.pending;
    this.pending = [];
    if (this.socket.destroyed) return;
    this.socket.cork();
    let small = [];
    for (const chunk of chunks) {
      if (chunk.byteLength < COALESCE_BELOW) {
        small.push(chunk);
        continue;
      }
      if (small.length > 0) this.socket.write(small.length === 1 ? small[0] : Buffer.concat(small));
      small = [];
      this.socket.write(chunk);
    }
    if (small.length > 0) this.socket.write(small.length === 1 ? small[0] : Buffer.concat(small));
    this.socket.uncork();
  }
}

/** Turns the byte stream back into { message, blob } objects. */
export class FrameReader {
  constructor(onMessage) {
    this.onMessage = onMessage;
    this.chunks = [];
    this.buffered = 0;
    this.bodyLength = -1;
    this.jsonLength = 0;
  }

  push(chunk) {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.buffered < HEADER_BYTES) return;
        const head = this.take(HEADER_BYTES);
        this.bodyLength = head.readUInt32BE(0) - 4;
        this.jsonLength = head.readUInt32BE(4);
      }
      if (this.buffered < this.bodyLength) return;
      const body = this.take(this.bodyLength);
      const jsonLength = this.jsonLength;
      this.bodyLength = -1;
      const message = JSON.parse(body.toString('utf8', 0, jsonLength));
      this.onMessage(message, body.byteLength > jsonLength ? body.subarray(jsonLength) : undefined);
    }
  }

  /** Removes n bytes from the front: a view when they are in the first chunk, else one copy. */
  take(n) {
    const first = this.chunks[0];
    if (first.byteLength >= n) {
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0];
      const wanted = n - filled;
      if (chunk.byteLength <= wanted) {
        chunk.copy(out, filled);
        filled += chunk.byteLength;
        this.chunks.shift();
      } else {
        chunk.copy(out, filled, 0, wanted);
        this.chunks[0] = chunk.subarray(wanted);
        filled = n;
      }
    }
    this.buffered -= n;
    return out;
  }
}
