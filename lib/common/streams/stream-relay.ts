import { ErrorCode, IpcError } from '../errors.js';
import {
  MessageKind,
  type StreamOpenMessage,
  type StreamToConsumerMessage,
  type StreamToProducerMessage,
} from '../messages.js';

/** One end of a routed stream: how to reach that peer, and the relay table of its connection. */
export interface RelayEnd {
  send(message: StreamToConsumerMessage | StreamToProducerMessage | StreamOpenMessage): void;
  relay: StreamRelay;
  /** For messages: the peer's name. */
  name: string;
}

/**
 * A stream between two clients, passing through the server. Nothing is
 * buffered here: each message is forwarded as it arrives (ids translated),
 * and credit is forwarded 1:1, so the producer never has more items on the
 * way than the consumer granted; those sit at most in the consumer's socket
 * buffer. The relay counts credit to hold both peers to the rules: more
 * credit than `maxCredit` outstanding, or an item without credit, ends the
 * stream with BAD_MESSAGE on both sides.
 */
export class RoutedStream {
  private outstanding: number;
  private settled = false;

  constructor(
    /** The id the consumer chose, on the consumer's connection. */
    readonly consumerId: number,
    /** The id the server chose, on the producer's connection. */
    readonly producerId: number,
    readonly description: string,
    private readonly consumer: RelayEnd,
    private readonly producer: RelayEnd,
    initialCredit: number,
    private readonly maxCredit: number,
    private readonly onSettled: (stream: RoutedStream, error: IpcError | undefined) => void,
  ) {
    this.outstanding = initialCredit;
  }

  get ended(): boolean {
    return this.settled;
  }

  /** Credit still granted to the producer: the most items that can be between the two peers. */
  get outstandingCredit(): number {
    return this.outstanding;
  }

  fromConsumer(message: StreamToProducerMessage): void {
    if (this.settled) return;
    if (message.kind === MessageKind.StreamCancel) {
      this.sendToProducer({ kind: MessageKind.StreamCancel, id: this.producerId });
      this.settle(new IpcError(ErrorCode.CANCELLED, `${this.description} was cancelled by ${this.consumer.name}`));
      return;
    }
    if (this.outstanding + message.n > this.maxCredit) {
      this.fail(new IpcError(ErrorCode.BAD_MESSAGE, `${this.description}: credit ${this.outstanding + message.n} over the limit of ${this.maxCredit}`));
      return;
    }
    this.outstanding += message.n;
    this.sendToProducer({ kind: MessageKind.StreamCredit, id: this.producerId, n: message.n });
  }

  fromProducer(message: StreamToConsumerMessage): void {
    if (this.settled) return;
    if (message.kind === MessageKind.StreamEnd) {
      const end: StreamToConsumerMessage = { kind: MessageKind.StreamEnd, id: this.consumerId };
      if (message.error !== undefined) end.error = message.error;
      this.sendToConsumer(end);
      this.settle(message.error === undefined ? undefined : IpcError.fromWire(message.error));
      return;
    }
    if (this.outstanding === 0) {
      this.fail(new IpcError(ErrorCode.BAD_MESSAGE, `${this.description}: ${this.producer.name} sent an item without credit`));
      return;
    }
    this.outstanding -= 1;
    const item: StreamToConsumerMessage = { kind: MessageKind.StreamItem, id: this.consumerId };
    if (message.data !== undefined) item.data = message.data;
    this.sendToConsumer(item);
  }

  /** The consumer's connection went: the producer is cancelled, told DISCONNECTED (its signal's reason). */
  consumerGone(reason: IpcError): void {
    if (this.settled) return;
    const error = new IpcError(ErrorCode.DISCONNECTED, `${this.description}: ${this.consumer.name} disconnected (${reason.message})`);
    this.sendToProducer({ kind: MessageKind.StreamCancel, id: this.producerId, error: error.toWire() });
    this.settle(error);
  }

  /** The producer's connection went: the consumer's loop ends with DISCONNECTED. */
  producerGone(reason: IpcError): void {
    if (this.settled) return;
    const error = new IpcError(ErrorCode.DISCONNECTED, `${this.description}: ${this.producer.name} disconnected (${reason.message})`);
    this.sendToConsumer({ kind: MessageKind.StreamEnd, id: this.consumerId, error: error.toWire() });
    this.settle(error);
  }

  /** Ends the stream on both sides with `error`. */
  fail(error: IpcError): void {
    if (this.settled) return;
    this.sendToProducer({ kind: MessageKind.StreamCancel, id: this.producerId });
    this.sendToConsumer({ kind: MessageKind.StreamEnd, id: this.consumerId, error: error.toWire() });
    this.settle(error);
  }

  private settle(error: IpcError | undefined): void {
    this.settled = true;
    this.consumer.relay.forgetConsumed(this.consumerId);
    this.producer.relay.forgetProduced(this.producerId);
    this.onSettled(this, error);
  }

  private sendToProducer(message: StreamToProducerMessage): void {
    trySend(this.producer, message);
  }

  private sendToConsumer(message: StreamToConsumerMessage): void {
    // An item the consumer's connection cannot carry (over its maxFrameSize) ends the stream rather than the connection.
    try {
      this.consumer.send(message);
    } catch (error) {
      if (message.kind !== MessageKind.StreamItem || this.settled) return;
      // CLOSED: the consumer's connection is going and its dispose has not run yet. The producer hears
      // DISCONNECTED now, as it would from that dispose, not the bare cancel of a failed stream.
      if (error instanceof IpcError && error.code === ErrorCode.CLOSED) this.consumerGone(error);
      else this.fail(error instanceof IpcError ? error : new IpcError(ErrorCode.DISCONNECTED, String(error)));
    }
  }
}

function trySend(end: RelayEnd, message: StreamToProducerMessage): void {
  try {
    end.send(message);
  } catch {
    // That connection is going; its dispose settles whatever is left.
  }
}

/**
 * The routed streams one connection takes part in, on the server: those its
 * peer consumes (by the peer's id) and those its peer produces (by the id the
 * server chose on this connection, from the same counter as the server's own
 * streams there, so the two never collide).
 */
export class StreamRelay {
  private readonly consumed = new Map<number, RoutedStream>();
  private readonly produced = new Map<number, RoutedStream>();

  constructor(private readonly maxStreams: number) {}

  /** Whether this connection's peer may open one more routed stream (TOO_MANY_STREAMS otherwise). */
  get full(): boolean {
    return this.consumed.size >= this.maxStreams;
  }

  /** The routed stream this connection's peer consumes under `id`, if any. */
  consumedStream(id: number): RoutedStream | undefined {
    return this.consumed.get(id);
  }

  /** Credit or cancel from this connection's peer, for a stream it consumes. False when no routed stream has that id. */
  fromConsumer(message: StreamToProducerMessage): boolean {
    const stream = this.consumed.get(message.id);
    stream?.fromConsumer(message);
    return stream !== undefined;
  }

  /** Item or end from this connection's peer, for a stream it produces. False when no routed stream has that id. */
  fromProducer(message: StreamToConsumerMessage): boolean {
    const stream = this.produced.get(message.id);
    stream?.fromProducer(message);
    return stream !== undefined;
  }

  /** This connection went: every routed stream through it ends on the other side. */
  dispose(reason: IpcError): void {
    for (const stream of [...this.consumed.values()]) stream.consumerGone(reason);
    for (const stream of [...this.produced.values()]) stream.producerGone(reason);
  }

  get size(): number {
    return this.consumed.size + this.produced.size;
  }

  /** @internal used by {@link routeStream}. */
  addConsumed(stream: RoutedStream): void {
    this.consumed.set(stream.consumerId, stream);
  }

  /** @internal used by {@link routeStream}. */
  addProduced(stream: RoutedStream): void {
    this.produced.set(stream.producerId, stream);
  }

  /** @internal called by a settling RoutedStream. */
  forgetConsumed(id: number): void {
    this.consumed.delete(id);
  }

  /** @internal called by a settling RoutedStream. */
  forgetProduced(id: number): void {
    this.produced.delete(id);
  }
}

export interface RouteOptions {
  /** The id for the producer's connection, from that connection's stream id counter. */
  producerId: number;
  maxCredit: number;
  /** Filled in by the server: the consumer's name and connection id, as on every forwarded message. */
  from: string;
  fromUuid: string;
  onSettled?: (stream: RoutedStream, error: IpcError | undefined) => void;
}

/**
 * Connects a `stream-open` from `consumer`'s peer (with `to`) to `producer`'s
 * peer, and forwards it. The caller has checked that the producer exists and
 * announced the streams feature. A consumer over its limit or an initial
 * credit over `maxCredit` is refused with a stream-end; an id already routed
 * ends that stream; then nothing is forwarded and undefined is returned.
 */
export function routeStream(open: StreamOpenMessage, consumer: RelayEnd, producer: RelayEnd, options: RouteOptions): RoutedStream | undefined {
  const refuse = (error: IpcError): undefined => {
    try {
      consumer.send({ kind: MessageKind.StreamEnd, id: open.id, error: error.toWire() });
    } catch {
      // The consumer's connection is going.
    }
    return undefined;
  };
  const clash = consumer.relay.consumedStream(open.id);
  if (clash) {
    // One stream-end cannot tell the two apart: the running one ends on both sides, the new one is dropped.
    clash.fail(new IpcError(ErrorCode.BAD_MESSAGE, `stream id ${open.id} was opened twice`));
    return undefined;
  }
  if (consumer.relay.full) return refuse(new IpcError(ErrorCode.TOO_MANY_STREAMS, `stream "${open.cmd}" to ${producer.name}: too many routed streams open on this connection (maxStreams)`));
  if (open.credit > options.maxCredit) return refuse(new IpcError(ErrorCode.BAD_MESSAGE, `stream "${open.cmd}": initial credit ${open.credit} over the limit of ${options.maxCredit}`));
  const description = `stream "${open.cmd}" from ${consumer.name} to ${producer.name}`;
  const stream = new RoutedStream(open.id, options.producerId, description, consumer, producer, open.credit, options.maxCredit, options.onSettled ?? (() => undefined));
  consumer.relay.addConsumed(stream);
  producer.relay.addProduced(stream);
  const forwarded: StreamOpenMessage = { kind: MessageKind.StreamOpen, id: options.producerId, cmd: open.cmd, credit: open.credit, from: options.from, fromUuid: options.fromUuid };
  if (open.data !== undefined) forwarded.data = open.data;
  try {
    producer.send(forwarded);
  } catch (error) {
    // Too large for the producer's connection, or it is going: the consumer hears why.
    stream.fail(error instanceof IpcError ? error : new IpcError(ErrorCode.DISCONNECTED, String(error)));
  }
  return stream;
}
