import type { HandlerContainer } from '../contract.js';
import { ErrorCode, IpcError } from '../errors.js';
import { MessageKind, type Message, type StreamOpenMessage, type StreamToProducerMessage } from '../messages.js';
import { StreamProducer } from './stream-producer.js';

/** A stream handler: gets the usual container and returns an async iterable (an async generator, usually). */
export type StreamHandlerFunction = (container: HandlerContainer<never>) => unknown;

/** The container fields the connection knows: who sent the open, and the seed's socket/server. */
export type StreamContainerFields = Omit<HandlerContainer<unknown>, 'signal' | 'command' | 'data'>;

/**
 * The streams this side serves on one connection, by the consumer's id. The
 * connection hands it every `stream-open` meant for this side (with the
 * handler it found, or none) and every `stream-credit` / `stream-cancel`.
 */
export class StreamProducers {
  private readonly running = new Map<number, StreamProducer>();

  constructor(
    private readonly send: (message: Message) => void,
    private readonly maxStreams: number,
    private readonly maxCredit: number,
    private readonly onEnded: (producer: StreamProducer, error: IpcError | undefined) => void = () => undefined,
  ) {}

  /**
   * Starts the handler for `open`; with no handler, answers NO_HANDLER. An id
   * already running is the peer's bug, and one answer cannot tell the two
   * streams apart: the running one ends with BAD_MESSAGE and the new one is dropped.
   */
  serve(open: StreamOpenMessage, handler: StreamHandlerFunction | undefined, fields: StreamContainerFields): StreamProducer | undefined {
    const clash = this.running.get(open.id);
    if (clash) {
      clash.fail(new IpcError(ErrorCode.BAD_MESSAGE, `stream id ${open.id} was opened twice`));
      return undefined;
    }
    if (!handler) {
      this.refuse(open.id, new IpcError(ErrorCode.NO_HANDLER, `no handler for stream "${open.cmd}"`));
      return undefined;
    }
    if (this.running.size >= this.maxStreams) {
      this.refuse(open.id, new IpcError(ErrorCode.TOO_MANY_STREAMS, `stream "${open.cmd}": already ${this.running.size} streams served on this connection (maxStreams)`));
      return undefined;
    }
    const description = `stream "${open.cmd}" #${open.id} from ${fields.client_name}`;
    const producer = new StreamProducer(
      open.id,
      description,
      open.credit,
      this.maxCredit,
      this.send,
      (p, error) => {
        this.running.delete(p.id);
        this.onEnded(p, error);
      },
      (signal) => handler({ ...fields, data: open.data as never, command: open.cmd, signal }),
    );
    // A producer may settle inside its constructor (initial credit over the limit); only a live one is tracked.
    if (!producer.ended) this.running.set(open.id, producer);
    return producer;
  }

  /** Answers a `stream-open` with a `stream-end` carrying `error` (NO_SUCH_CLIENT, UNSUPPORTED, FORBIDDEN…). */
  refuse(id: number, error: IpcError): void {
    this.send({ kind: MessageKind.StreamEnd, id, error: error.toWire() });
  }

  has(id: number): boolean {
    return this.running.has(id);
  }

  /** Credit or cancel from the consumer; unknown ids (the stream just ended) are dropped. */
  receive(message: StreamToProducerMessage): void {
    this.running.get(message.id)?.receive(message);
  }

  /** Aborts every handler with `reason`: the consumer is gone, so nothing is sent. */
  dispose(reason: IpcError): void {
    for (const producer of [...this.running.values()]) producer.dispose(reason);
  }

  get size(): number {
    return this.running.size;
  }
}
