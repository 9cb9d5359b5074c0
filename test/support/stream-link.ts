import { IpcError } from '../../lib/common/errors.js';
import { encodeFrame, FrameDecoder } from '../../lib/common/frame-codec.js';
import { isStreamMessage, MessageKind, type Message, type StreamOpenMessage } from '../../lib/common/messages.js';
import { StreamEndpoint } from '../../lib/common/streams/stream-endpoint.js';
import type { StreamLimits } from '../../lib/common/streams/stream-limits.js';
import type { StreamHandlerFunction } from '../../lib/common/streams/stream-producers.js';
import { routeStream } from '../../lib/common/streams/stream-relay.js';

/**
 * In-memory connections for the stream engines: every message is really
 * encoded to a frame and decoded on the far side (so binary items go through
 * the bin parts), and delivered later, never inside the sender's call, as on
 * a socket. `auto` delivers on its own (setImmediate); otherwise the test
 * steps deliveries with `deliverOne()`, which the property test uses to
 * choose interleavings.
 */
export class Wire {
  private readonly queue: { to: (message: Message) => void; bytes: Uint8Array[] }[] = [];
  private scheduled = false;
  readonly log: { from: string; message: Message }[] = [];

  constructor(
    private readonly auto: boolean,
    private readonly maxFrameSize = 1024 * 1024,
  ) {}

  /** A send function from `from` that ends in `deliver`. */
  sender(from: string, deliver: (message: Message) => void): (message: Message) => void {
    return (message) => {
      const frame = encodeFrame(message);
      if (frame.frameLength > this.maxFrameSize) throw new IpcError('FRAME_TOO_LARGE', `frame of ${frame.frameLength} bytes over ${this.maxFrameSize}`);
      this.log.push({ from, message });
      this.queue.push({ to: deliver, bytes: frame.chunks.map((c) => c.slice()) });
      if (this.auto && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    };
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Delivers the oldest frame in flight (one global order: per-pair order is kept, as the protocol promises). */
  deliverOne(): boolean {
    const next = this.queue.shift();
    if (!next) return false;
    const decoder = new FrameDecoder({ maxFrameSize: this.maxFrameSize });
    const bytes = new Uint8Array(next.bytes.reduce((n, c) => n + c.byteLength, 0));
    let offset = 0;
    for (const chunk of next.bytes) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    for (const message of decoder.push(bytes)) next.to(message);
    return true;
  }

  /** Drops everything in flight (the connection broke). */
  drop(): void {
    this.queue.length = 0;
  }

  private flush(): void {
    this.scheduled = false;
    let budget = this.queue.length;
    while (budget-- > 0 && this.deliverOne());
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }
}

export interface PeerOptions {
  name: string;
  handlers?: Record<string, StreamHandlerFunction>;
  speaksStreams?: boolean;
  limits?: Partial<StreamLimits>;
}

/** What every test checks: each stream's end, per role, counted. */
export class EndCounter {
  readonly ends: { peer: string; role: string; id: number; code: string | undefined }[] = [];

  record(peer: string) {
    return (role: string, id: number, error: IpcError | undefined) => {
      this.ends.push({ peer, role, id, code: error?.code });
    };
  }

  count(peer: string, role: string, id: number): number {
    return this.ends.filter((e) => e.peer === peer && e.role === role && e.id === id).length;
  }
}

/** Two peers joined directly (client ↔ server). */
export function directPair(wire: Wire, a: PeerOptions, b: PeerOptions, ends = new EndCounter()) {
  const peers = {} as Record<'a' | 'b', StreamEndpoint>;
  const toB = wire.sender(a.name, (m) => dispatch(peers.b, b, a.name, m));
  const toA = wire.sender(b.name, (m) => dispatch(peers.a, a, b.name, m));
  const endpointA = new StreamEndpoint({ send: toB, peerSpeaksStreams: b.speaksStreams ?? true, peerName: b.name, limits: a.limits, onEnded: ends.record(a.name) });
  const endpointB = new StreamEndpoint({ send: toA, peerSpeaksStreams: a.speaksStreams ?? true, peerName: a.name, limits: b.limits, onEnded: ends.record(b.name) });
  peers.a = endpointA;
  peers.b = endpointB;
  return { a: endpointA, b: endpointB, ends };
}

function dispatch(endpoint: StreamEndpoint, self: PeerOptions, fromName: string, message: Message): void {
  if (!isStreamMessage(message)) throw new Error(`unexpected ${message.kind}`);
  if (message.kind === MessageKind.StreamOpen) {
    endpoint.serve(message, self.handlers?.[message.cmd], { client_name: message.from ?? fromName, uuid: message.fromUuid ?? '', socket: null, server: null });
  } else {
    endpoint.receive(message);
  }
}

/**
 * Two clients and a server between them, as on the real socket: each client
 * has one endpoint to the server; the server has one per client, and routes
 * a `stream-open` with `to` through {@link routeStream}.
 */
export function routedTrio(wire: Wire, consumer: PeerOptions, producer: PeerOptions, serverLimits?: Partial<StreamLimits>, ends = new EndCounter()) {
  const endpoints = {} as Record<'consumer' | 'producer' | 'serverToConsumer' | 'serverToProducer', StreamEndpoint>;
  const toServerFromConsumer = wire.sender(consumer.name, (m) => serverReceives('consumer', m));
  const toServerFromProducer = wire.sender(producer.name, (m) => serverReceives('producer', m));
  const toConsumer = wire.sender('server', (m) => dispatch(endpoints.consumer, consumer, 'server', m));
  const toProducer = wire.sender('server', (m) => dispatch(endpoints.producer, producer, 'server', m));
  endpoints.consumer = new StreamEndpoint({ send: toServerFromConsumer, peerSpeaksStreams: true, peerName: 'server', limits: consumer.limits, onEnded: ends.record(consumer.name) });
  endpoints.producer = new StreamEndpoint({ send: toServerFromProducer, peerSpeaksStreams: true, peerName: 'server', limits: producer.limits, onEnded: ends.record(producer.name) });
  endpoints.serverToConsumer = new StreamEndpoint({ send: toConsumer, peerSpeaksStreams: true, peerName: consumer.name, limits: serverLimits });
  endpoints.serverToProducer = new StreamEndpoint({ send: toProducer, peerSpeaksStreams: producer.speaksStreams ?? true, peerName: producer.name, limits: serverLimits });
  const relayed: { ended: boolean; outstandingCredit: number }[] = [];

  function serverReceives(side: 'consumer' | 'producer', message: Message): void {
    const here = side === 'consumer' ? endpoints.serverToConsumer : endpoints.serverToProducer;
    const there = side === 'consumer' ? endpoints.serverToProducer : endpoints.serverToConsumer;
    const hereName = side === 'consumer' ? consumer.name : producer.name;
    const thereName = side === 'consumer' ? producer.name : consumer.name;
    if (!isStreamMessage(message)) throw new Error(`unexpected ${message.kind}`);
    if (here.disposed) return; // that connection is gone: a real server no longer reads it
    if (message.kind !== MessageKind.StreamOpen) {
      here.receive(message);
      return;
    }
    const open: StreamOpenMessage = message;
    if (open.to !== thereName) {
      here.refuse(open, new IpcError('NO_SUCH_CLIENT', `no client named ${String(open.to)}`));
      return;
    }
    if (!(side === 'consumer' ? (producer.speaksStreams ?? true) : true)) {
      here.refuse(open, new IpcError('UNSUPPORTED', `${thereName} does not support streams`));
      return;
    }
    const stream = routeStream(
      open,
      { send: here === endpoints.serverToConsumer ? toConsumer : toProducer, relay: here.relay, name: hereName },
      { send: there === endpoints.serverToProducer ? toProducer : toConsumer, relay: there.relay, name: thereName },
      { producerId: there.allocateId(), maxCredit: there.limits.maxCredit, from: hereName, fromUuid: `uuid-${hereName}`, onSettled: (_stream, error) => ends.record('server')('relay', open.id, error) },
    );
    if (stream) relayed.push(stream);
  }

  return { ...endpoints, ends, relayed };
}
