import { ErrorCode, IpcError } from '../errors.js';
import { MessageKind, type StreamEndMessage, type StreamItemMessage, type StreamToProducerMessage } from '../messages.js';

/** Runs the handler with the signal this stream's cancellation aborts; returns what it returned. */
export type StreamStarter = (signal: AbortSignal) => unknown;

export type ProducerSettled = (producer: StreamProducer, error: IpcError | undefined) => void;

/**
 * The producing side of one stream: drives the handler's (async) iterator,
 * asking it for the next item only while the consumer has granted credit, so
 * a consumer that stops reading pauses the generator itself.
 *
 * Ends exactly once, reported to `onSettled`: finished (stream-end sent),
 * failed (stream-end with the error sent), cancelled by the consumer, or
 * disposed with the connection. On cancel or dispose the signal aborts and,
 * once the generator is suspended, its `return()` runs its `finally` blocks.
 */
export class StreamProducer {
  private credit: number;
  private settled = false;
  private readonly controller = new AbortController();
  private creditArrived: (() => void) | undefined;
  /** Resolves when the generator has been left (finished, failed, or returned); for tests and orderly shutdown. */
  readonly finished: Promise<void>;

  constructor(
    readonly id: number,
    readonly description: string,
    initialCredit: number,
    private readonly maxCredit: number,
    private readonly send: (message: StreamItemMessage | StreamEndMessage) => void,
    private readonly onSettled: ProducerSettled,
    start: StreamStarter,
  ) {
    this.credit = initialCredit;
    this.finished = this.run(start);
  }

  receive(message: StreamToProducerMessage): void {
    if (this.settled) return;
    if (message.kind === MessageKind.StreamCancel) {
      // With an error: the server cancels for a routed consumer that went (DISCONNECTED).
      this.settle(message.error === undefined ? new IpcError(ErrorCode.CANCELLED, `${this.description} was cancelled by the consumer`) : IpcError.fromWire(message.error));
      return;
    }
    if (this.credit + message.n > this.maxCredit) {
      this.endWith(new IpcError(ErrorCode.BAD_MESSAGE, `${this.description}: credit ${this.credit + message.n} over the limit of ${this.maxCredit}`), true);
      return;
    }
    this.credit += message.n;
    this.wake();
  }

  dispose(reason: IpcError): void {
    this.settle(reason);
  }

  /** Ends the stream with `error` sent to the consumer and the handler aborted (the peer broke the protocol). */
  fail(error: IpcError): void {
    this.endWith(error, true);
  }

  get ended(): boolean {
    return this.settled;
  }

  /** Credit left: the items the producer may still send without hearing from the consumer. */
  get availableCredit(): number {
    return this.credit;
  }

  private async run(start: StreamStarter): Promise<void> {
    if (this.credit > this.maxCredit) {
      this.endWith(new IpcError(ErrorCode.BAD_MESSAGE, `${this.description}: initial credit ${this.credit} over the limit of ${this.maxCredit}`));
      return;
    }
    let returned: unknown;
    try {
      // An async function returning an iterable is fine too; its rejection is the handler's failure.
      returned = await start(this.controller.signal);
    } catch (thrown) {
      this.endWith(IpcError.fromHandlerFailure(thrown));
      return;
    }
    const iterator = iteratorOf(returned);
    if (iterator === undefined) {
      this.endWith(new IpcError(ErrorCode.HANDLER_ERROR, `${this.description}: the handler must return an async iterable (an async generator) or an iterable`));
      return;
    }
    let generatorDone = false;
    try {
      for (;;) {
        if (!(await this.hasCredit())) return;
        let step: IteratorResult<unknown>;
        try {
          step = await iterator.next();
        } catch (thrown) {
          generatorDone = true;
          this.endWith(IpcError.fromHandlerFailure(thrown));
          return;
        }
        if (step.done === true) {
          generatorDone = true;
          this.endWith(undefined);
          return;
        }
        if (this.settled) return; // cancelled while the generator worked: the item is dropped
        this.credit -= 1;
        try {
          this.send({ kind: MessageKind.StreamItem, id: this.id, data: step.value });
        } catch (error) {
          // An item the connection cannot carry (over maxFrameSize, a forbidden binary path) ends the stream with that code.
          this.endWith(error instanceof IpcError ? error : IpcError.fromHandlerFailure(error), true);
          return;
        }
      }
    } finally {
      if (!generatorDone) await closeIterator(iterator);
    }
  }

  /** Waits for credit; false once the stream has ended. */
  private async hasCredit(): Promise<boolean> {
    while (!this.settled && this.credit === 0) {
      await new Promise<void>((resolve) => {
        this.creditArrived = resolve;
      });
    }
    return !this.settled;
  }

  private wake(): void {
    const resolve = this.creditArrived;
    this.creditArrived = undefined;
    resolve?.();
  }

  /** Sends stream-end (with the error if any) and ends; nothing is sent after it. */
  private endWith(error: IpcError | undefined, abortHandler = false): void {
    if (this.settled) return;
    const message: StreamEndMessage = { kind: MessageKind.StreamEnd, id: this.id };
    if (error !== undefined) message.error = error.toWire();
    try {
      this.send(message);
    } catch {
      // The connection is going; the consumer's side ends with DISCONNECTED from its own dispose.
    }
    this.settle(error, abortHandler);
  }

  private settle(error: IpcError | undefined, abort = true): void {
    if (this.settled) return;
    this.settled = true;
    if (abort) this.controller.abort(error);
    this.wake();
    this.onSettled(this, error);
  }
}

function iteratorOf(value: unknown): AsyncIterator<unknown> | Iterator<unknown> | undefined {
  if (typeof value === 'object' && value !== null) {
    const asyncFactory = (value as AsyncIterable<unknown>)[Symbol.asyncIterator];
    if (typeof asyncFactory === 'function') return asyncFactory.call(value);
    // A sync iterable (an array, a generator) works too; a string is not an object, so it never streams characters.
    const syncFactory = (value as Iterable<unknown>)[Symbol.iterator];
    if (typeof syncFactory === 'function') return syncFactory.call(value);
  }
  return undefined;
}

async function closeIterator(iterator: AsyncIterator<unknown> | Iterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // A generator that throws from its finally after a cancel has no one left to tell.
  }
}
