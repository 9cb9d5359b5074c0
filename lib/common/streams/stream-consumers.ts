import { ErrorCode, IpcError } from '../errors.js';
import { MessageKind, type Message, type StreamToConsumerMessage } from '../messages.js';
import { StreamConsumer, type StreamOptions } from './stream-consumer.js';

export interface OpenStreamOptions extends StreamOptions {
  /** Target client for a stream routed through the server; absent: the peer at the other end of this connection. */
  to?: string;
}

/**
 * The streams this side opened on one connection, by id. Ids come from the
 * connection's counter (shared with relayed streams on the server) and are
 * never reused, so a late item for a stream cancelled a moment ago is
 * recognised as late and dropped.
 */
export class StreamConsumers {
  private readonly open = new Map<number, StreamConsumer<unknown>>();

  constructor(
    private readonly send: (message: Message) => void,
    private readonly allocateId: () => number,
    private readonly maxStreams: number,
    /** Called once per stream when it ends, after the table forgot it (for tests, metrics and the model-based test). */
    private readonly onEnded: (consumer: StreamConsumer<unknown>, error: IpcError | undefined) => void = () => undefined,
  ) {}

  /**
   * Sends `stream-open` and returns the iterator. Failures to open (too many
   * streams, a payload that cannot be sent) surface from the first `next()`,
   * like every other stream error. With `refusal` (the peer cannot stream,
   * the connection is gone) nothing is sent and the stream fails with it.
   */
  openStream<T>(cmd: string, data: unknown | undefined, options: OpenStreamOptions = {}, refusal?: IpcError): StreamConsumer<T> {
    const id = this.allocateId();
    const description = `stream "${cmd}"${options.to === undefined ? '' : ` to ${options.to}`} #${id}`;
    const consumer = new StreamConsumer<T>(id, description, this.send, options, (c, error) => {
      this.open.delete(c.id);
      this.onEnded(c, error);
    });
    if (refusal) {
      consumer.failToOpen(refusal);
      return consumer;
    }
    if (this.open.size >= this.maxStreams) {
      consumer.failToOpen(new IpcError(ErrorCode.TOO_MANY_STREAMS, `${description}: already ${this.open.size} streams open on this connection (maxStreams)`));
      return consumer;
    }
    this.open.set(id, consumer as StreamConsumer<unknown>);
    const credit = consumer.begin();
    if (credit === 0) return consumer;
    const message: Message = { kind: MessageKind.StreamOpen, id, cmd, credit };
    if (data !== undefined) message.data = data;
    if (options.to !== undefined) message.to = options.to;
    try {
      this.send(message);
    } catch (error) {
      consumer.failToOpen(error instanceof IpcError ? error : new IpcError(ErrorCode.DISCONNECTED, String(error)));
    }
    return consumer;
  }

  has(id: number): boolean {
    return this.open.has(id);
  }

  /** An item or end from the producer; ids we do not know (late after a cancel) are dropped. */
  receive(message: StreamToConsumerMessage): void {
    this.open.get(message.id)?.receive(message);
  }

  /** Ends every stream with `reason` (DISCONNECTED when the connection dropped, CLOSED when closed here). */
  dispose(reason: IpcError): void {
    for (const consumer of [...this.open.values()]) consumer.dispose(reason);
  }

  get size(): number {
    return this.open.size;
  }
}
