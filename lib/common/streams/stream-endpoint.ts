import { ErrorCode, IpcError } from '../errors.js';
import { MessageKind, type Message, type StreamMessage, type StreamOpenMessage } from '../messages.js';
import type { StreamConsumer } from './stream-consumer.js';
import type { StreamProducer } from './stream-producer.js';
import { StreamConsumers, type OpenStreamOptions } from './stream-consumers.js';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from './stream-limits.js';
import { StreamProducers, type StreamContainerFields, type StreamHandlerFunction } from './stream-producers.js';
import { StreamRelay } from './stream-relay.js';

export interface StreamEndpointOptions {
  /** Writes a message to this connection; throws IpcError when it cannot (too large, closed). */
  send(message: Message): void;
  /** Whether the peer announced the `streams` feature in its hello / welcome. */
  peerSpeaksStreams: boolean;
  /** The peer's name, for error messages. */
  peerName: string;
  limits?: Partial<StreamLimits>;
  /** Every stream end, once, for every role (tests, metrics). */
  onEnded?: (role: 'consumer' | 'producer', id: number, error: IpcError | undefined) => void;
}

/**
 * Everything about streams on one connection: the streams this side opened
 * (consumers), the ones it serves (producers) and, on the server, the routed
 * ones passing through. The connection object owns one, feeds it every
 * stream message except `stream-open` (which needs a handler or a route, so
 * the connection decides: {@link serve} or `routeStream`), and disposes it
 * with the connection.
 */
export class StreamEndpoint {
  readonly consumers: StreamConsumers;
  readonly producers: StreamProducers;
  readonly relay: StreamRelay;
  readonly limits: StreamLimits;
  private nextId = 1;
  private disposedWith: IpcError | undefined;

  constructor(private readonly options: StreamEndpointOptions) {
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...options.limits };
    const onEnded = options.onEnded;
    this.consumers = new StreamConsumers(options.send, () => this.allocateId(), this.limits.maxStreams, (c, error) => onEnded?.('consumer', c.id, error));
    this.producers = new StreamProducers(options.send, this.limits.maxStreams, this.limits.maxCredit, (p, error) => onEnded?.('producer', p.id, error));
    this.relay = new StreamRelay(this.limits.maxStreams);
  }

  /** Ids for streams this side opens or (on the server) relays onto this connection: one counter, never reused. */
  allocateId(): number {
    return this.nextId++;
  }

  /** Opens a stream to the peer (or, with `to`, through the server to another client). */
  open<T>(cmd: string, data?: unknown, options: OpenStreamOptions = {}): StreamConsumer<T> {
    return this.consumers.openStream<T>(cmd, data, options, this.refusal(options));
  }

  /** Runs `handler` for a `stream-open` meant for this side (NO_HANDLER when undefined). */
  serve(open: StreamOpenMessage, handler: StreamHandlerFunction | undefined, fields: StreamContainerFields): StreamProducer | undefined {
    if (this.disposedWith) return undefined;
    return this.producers.serve(open, handler, fields);
  }

  /** Answers a `stream-open` with an error (NO_SUCH_CLIENT, UNSUPPORTED, FORBIDDEN). */
  refuse(open: StreamOpenMessage, error: IpcError): void {
    this.producers.refuse(open.id, error);
  }

  /** Routes an incoming item, end, credit or cancel. `stream-open` is the connection's to handle; passing one here is a bug. */
  receive(message: Exclude<StreamMessage, StreamOpenMessage>): void {
    if (this.disposedWith) return;
    switch (message.kind) {
      case MessageKind.StreamItem:
      case MessageKind.StreamEnd:
        if (this.consumers.has(message.id)) this.consumers.receive(message);
        else this.relay.fromProducer(message);
        break;
      case MessageKind.StreamCredit:
      case MessageKind.StreamCancel:
        if (this.producers.has(message.id)) this.producers.receive(message);
        else this.relay.fromConsumer(message);
        break;
    }
  }

  /** Ends every stream on this connection: consumers end with `reason`, producers' signals abort, routed streams end on their other side. */
  dispose(reason: IpcError): void {
    if (this.disposedWith) return;
    this.disposedWith = reason;
    this.consumers.dispose(reason);
    this.producers.dispose(reason);
    this.relay.dispose(reason);
  }

  /** True after {@link dispose}: the connection is gone and its messages are ignored. */
  get disposed(): boolean {
    return this.disposedWith !== undefined;
  }

  /** Open streams in every role. */
  get size(): number {
    return this.consumers.size + this.producers.size + this.relay.size;
  }

  private refusal(options: OpenStreamOptions): IpcError | undefined {
    if (this.disposedWith) return new IpcError(this.disposedWith.code, `cannot open a stream: ${this.disposedWith.message}`);
    if (!this.options.peerSpeaksStreams) {
      // A stream to another client goes through the peer, so it is the peer (the server) that cannot carry it.
      const who = options.to === undefined ? this.options.peerName : `the server (${this.options.peerName})`;
      return new IpcError(ErrorCode.UNSUPPORTED, `${who} does not support streams (it did not announce the "streams" feature)`);
    }
    return undefined;
  }
}
