import type { ContainerFields } from './handler-calls.js';
import { HandlerCalls } from './handler-calls.js';
import type { HandlerRegistry } from './handler-registry.js';
import { ErrorCode, IpcError } from './errors.js';
import type { ForwardedRequest } from './forwarded-requests.js';
import { MessageKind, ProtocolFeature, type Message, type RequestMessage, type ResponseMessage } from './messages.js';
import type { Peer, PeerPolicy } from './peer.js';
import { LazyMap } from './lazy-map.js';
import { PendingRequests } from './pending-requests.js';
import type { Port } from './port.js';
import { StreamEndpoint } from './streams/stream-endpoint.js';
import type { StreamLimits } from './streams/stream-limits.js';
import type { SharedMessage } from './shared-message.js';

/** What a connection needs from the server that owns it. */
export interface PeerConnectionHost {
  readonly requestTimeoutMs: number;
  /** Requests this peer may have waiting at the server at once (handler calls plus requests sent through). */
  readonly maxInFlightRequests: number;
  readonly registry: HandlerRegistry;
  /** Reports a failure that concerns this peer only (the server keeps serving the others). */
  reportError(error: IpcError): void;
  /** Called after a message went out, for verbose traces. */
  traceSent(peer: PeerConnection, message: Message): void;
  /** Bounds of the streams each connection may hold (maxStreams, maxStreamCredit). */
  readonly streamLimits?: Partial<StreamLimits>;
}

export interface PeerIdentity {
  name: string;
  uuid: string;
  session: string;
  /** Optional protocol features the peer announced in its hello. */
  features?: readonly string[];
}

/**
 * One welcomed peer's connection, as the server sees it, and everything that
 * connection made the server hold: the server's own requests to it, the
 * handler calls its requests started, the requests it forwarded to other
 * peers and the ones forwarded to it, its monitor subscription. Ids are local
 * to the connection (plain numbers, the peer's own or the server's route ids
 * on it), and `dispose` releases all of it in time proportional to what this
 * connection itself holds.
 */
export class PeerConnection implements Peer {
  readonly name: string;
  readonly uuid: string;
  readonly session: string;
  /** Optional protocol features the peer announced (`streams`). */
  readonly features: readonly string[];
  commands: string[];
  /** Requests the server itself made to this peer, by their id on this connection. */
  private madePending: PendingRequests | undefined;
  /** Server handlers running for this peer's requests, by the peer's request id. */
  private madeCalls: HandlerCalls | undefined;
  private madeStreams: StreamEndpoint | undefined;
  /** Requests this peer sent to another peer through the server, by this peer's own id. */
  private readonly sentThrough = new LazyMap<number, ForwardedRequest>();
  /** Requests other peers sent to this one through the server, by the route id used on this connection. */
  private readonly routedHere = new LazyMap<number, ForwardedRequest>();
  private stopMonitoring: (() => void) | undefined;
  private disposed = false;
  /**
   * Broadcasts handed to this peer but not yet written (the server writes a broadcast to its
   * recipients over several turns): they go out before anything else sent to it, so each peer
   * still sees its messages in the order the server sent them.
   */
  private owed: SharedMessage[] | undefined;

  constructor(
    identity: PeerIdentity,
    readonly port: Port,
    readonly policy: PeerPolicy,
    commands: string[],
    private readonly host: PeerConnectionHost,
  ) {
    this.name = identity.name;
    this.uuid = identity.uuid;
    this.session = identity.session;
    this.features = identity.features ?? [];
    this.commands = commands;
  }

  /** Streams on this connection: the server's own to this peer, those it serves, those routed through it (made on first use). */
  get streams(): StreamEndpoint {
    return (this.madeStreams ??= new StreamEndpoint({
      // The engines need a send that throws: a stream that cannot go out ends with that error, never silently.
      send: (message) => {
        const failure = this.send(message);
        if (failure) throw failure;
      },
      peerSpeaksStreams: this.features.includes(ProtocolFeature.Streams),
      peerName: this.name,
      limits: this.host.streamLimits,
    }));
  }

  /** Requests the server itself made to this peer, by their id on this connection (made on first use: heap per idle client). */
  get pending(): PendingRequests {
    return (this.madePending ??= new PendingRequests(this.host.requestTimeoutMs, (request) => this.send({ kind: MessageKind.Cancel, id: request.id })));
  }

  /** Server handlers running for this peer's requests, by the peer's request id (made on first use). */
  get calls(): HandlerCalls {
    return (this.madeCalls ??= new HandlerCalls(this.host.registry));
  }

  /** False once the connection ended or was replaced; nothing is sent on it then. */
  get open(): boolean {
    return !this.disposed;
  }

  /** How much this connection makes the server hold now (for tests and limits). */
  get holding(): { serverRequests: number; handlerCalls: number; sentThrough: number; routedHere: number } {
    return { serverRequests: this.madePending?.size ?? 0, handlerCalls: this.madeCalls?.size ?? 0, sentThrough: this.sentThrough.size, routedHere: this.routedHere.size };
  }

  /** Sends one message; a failure (too large, slow consumer, closed) concerns this peer only and is returned. */
  send(message: Message): IpcError | undefined {
    return this.deliver(message, undefined);
  }

  /** Sends a message shared with other peers (its bytes encoded once); as `send` otherwise. */
  sendShared(shared: SharedMessage): IpcError | undefined {
    return this.deliver(shared.message, shared);
  }

  /** Queues a broadcast for this peer; `payOwed` (or the next send) writes it. */
  owe(shared: SharedMessage): void {
    if (this.disposed) return;
    if (this.owed) this.owed.push(shared);
    else this.owed = [shared];
  }

  /** Writes the broadcasts owed to this peer, oldest first. */
  payOwed(): void {
    const owed = this.owed;
    if (!owed) return;
    this.owed = undefined;
    for (const shared of owed) {
      if (this.disposed) return;
      this.sendNow(shared.message, shared);
    }
  }

  /** Broadcasts owed to this peer go out first, so it sees messages in the order the server sent them. */
  private deliver(message: Message, shared: SharedMessage | undefined): IpcError | undefined {
    if (this.owed && !this.disposed) this.payOwed();
    if (this.disposed) return new IpcError(ErrorCode.CLOSED, `the connection of "${this.name}" is closed`);
    return this.sendNow(message, shared);
  }

  private sendNow(message: Message, shared: SharedMessage | undefined): IpcError | undefined {
    try {
      if (shared && this.port.sendShared) this.port.sendShared(shared);
      else this.port.send(message);
    } catch (error) {
      const failure = error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error));
      if (failure.code !== ErrorCode.CLOSED) {
        this.host.reportError(new IpcError(failure.code, `sending ${message.kind} to "${this.name}" failed: ${failure.message}`));
      }
      return failure;
    }
    this.host.traceSent(this, message);
    return undefined;
  }

  /**
   * Sends a response. When it cannot be sent (a result or an error's `data` too large for the requester's
   * frame limit, or unencodable), the requester gets that failure as its answer instead: never silence.
   */
  respond(response: ResponseMessage): void {
    const failure = this.send(response);
    if (!failure || failure.code === ErrorCode.CLOSED) return;
    const what = response.error === undefined ? 'the result' : `the error ${response.error.code}`;
    // Without `data`, and with a message of our own: this one always fits (the smallest frame limit is 1024 bytes).
    this.send({ kind: MessageKind.Response, id: response.id, error: { code: failure.code, message: `${what} could not be sent: ${failure.message}`.slice(0, 500) } });
  }

  /** True when this peer already has as many requests waiting at the server as it may: the next is refused. */
  atRequestLimit(): boolean {
    return (this.madeCalls?.size ?? 0) + this.sentThrough.size >= this.host.maxInFlightRequests;
  }

  tooManyRequests(): IpcError {
    return new IpcError(
      ErrorCode.TOO_MANY_REQUESTS,
      `"${this.name}" already has ${this.host.maxInFlightRequests} requests waiting at the server; wait for answers before sending more`,
    );
  }

  /** True when this peer still awaits an answer under `id` (reusing it now is a protocol error). */
  isOutstanding(id: number): boolean {
    return (this.madeCalls?.has(id) ?? false) || this.sentThrough.has(id);
  }

  /** Runs a server handler for this peer's request; its answer goes out only while the call is current. */
  handle(message: RequestMessage, fields: ContainerFields): void {
    this.calls.request(message.id, message.cmd, fields, (outcome) => {
      if (outcome.error) this.respond({ kind: MessageKind.Response, id: message.id, error: outcome.error.toWire() });
      else this.respond({ kind: MessageKind.Response, id: message.id, data: outcome.data });
    });
  }

  /**
   * Passes `message` (a request from `origin`) to this peer under a route id of this connection.
   * Returns the failure when it could not be sent; nothing is kept then.
   */
  forwardFrom(origin: PeerConnection, message: RequestMessage): IpcError | undefined {
    const forwarded: ForwardedRequest = { routeId: this.pending.allocateId(), origin, originId: message.id, target: this };
    this.routedHere.set(forwarded.routeId, forwarded);
    origin.sentThrough.set(message.id, forwarded);
    const failure = this.send({
      kind: MessageKind.Request,
      id: forwarded.routeId,
      cmd: message.cmd,
      data: message.data,
      from: origin.name,
      fromUuid: origin.uuid,
    });
    if (failure) this.forget(forwarded);
    return failure;
  }

  /**
   * This peer answered route id `response.id`: the answer goes to the origin under its own id. True when
   * it was one; a late answer to a cancelled or unknown route is dropped (false).
   */
  answerForwarded(response: ResponseMessage): boolean {
    const forwarded = this.routedHere.get(response.id);
    if (!forwarded) return false;
    this.forget(forwarded);
    forwarded.origin.respond({ ...response, id: forwarded.originId });
    return true;
  }

  /** This peer cancelled its request `id`: a forwarded one is cancelled at its target, a server handler's signal aborts. */
  cancel(id: number): void {
    const forwarded = this.sentThrough.get(id);
    if (forwarded) {
      this.forget(forwarded);
      forwarded.target.send({ kind: MessageKind.Cancel, id: forwarded.routeId });
      return;
    }
    this.calls.cancel(id, new IpcError(ErrorCode.CANCELLED, `"${this.name}" cancelled the request`));
  }

  /** Makes this connection a monitor; `stop` runs when it goes. */
  monitor(stop: () => void): void {
    if (this.disposed) return;
    this.stopMonitoring?.();
    this.stopMonitoring = stop;
  }

  get monitoring(): boolean {
    return this.stopMonitoring !== undefined;
  }

  /**
   * The connection ended (or the server closes, or a reclaim replaced it). Releases everything it held:
   * the server's requests to it reject with `failure`, its handler calls abort and are dropped,
   * requests it forwarded are cancelled at their targets, requests forwarded to it are answered
   * `failure` at their origins, its monitor subscription ends. Idempotent; false when already done.
   */
  dispose(failure: IpcError): boolean {
    if (this.disposed) return false;
    this.disposed = true;
    this.owed = undefined;
    this.stopMonitoring?.();
    this.stopMonitoring = undefined;
    this.madePending?.rejectWhere(failure);
    this.calls.cancelAll(failure); // made if need be: it must refuse what a late caller still hands it
    this.madeStreams?.dispose(failure);
    const sent = [...this.sentThrough.values()];
    const routed = [...this.routedHere.values()];
    this.sentThrough.clear();
    this.routedHere.clear();
    for (const forwarded of sent) {
      // The origin went away: its target may stop working.
      this.forget(forwarded);
      forwarded.target.send({ kind: MessageKind.Cancel, id: forwarded.routeId });
    }
    for (const forwarded of routed) {
      // The target went away: its requester gets the failure.
      this.forget(forwarded);
      forwarded.origin.send({ kind: MessageKind.Response, id: forwarded.originId, error: failure.toWire() });
    }
    return true;
  }

  /** Removes a forwarded request from both ends' tables, each only if the entry there is this very one. */
  private forget(forwarded: ForwardedRequest): void {
    if (forwarded.target.routedHere.get(forwarded.routeId) === forwarded) forwarded.target.routedHere.delete(forwarded.routeId);
    if (forwarded.origin.sentThrough.get(forwarded.originId) === forwarded) forwarded.origin.sentThrough.delete(forwarded.originId);
  }
}
