import { answerPeerWait, waitForPeer, WAIT_COMMAND, type PeerWaitOptions } from './peer-wait.js';
import type {
  AnyContract,
  Contract,
  ContractRef,
  Discovery,
  HandlerCollection,
  PayloadArgs,
  PayloadOnlyArgs,
  RequestOptions,
  ResultOf,
  ItemOf,
  StreamCallOptions,
  StreamKeys,
} from './contract.js';
import { dispatchStreamMessage, type ServerStreamContext } from './server-streams.js';
import { failedStream } from './streams/pulled-streams.js';
import { ErrorCode, IpcError } from './errors.js';
import { EventDispatcher } from './event-dispatcher.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame-codec.js';
import { HandlerCalls, type ContainerFields } from './handler-calls.js';
import { PeerConnection, type PeerConnectionHost } from './peer-connection.js';
import { PROTOCOL } from './protocol.js';
import { HandlerRegistry } from './handler-registry.js';
import { checkCommandList } from './names.js';
import { logSafe } from './log-text.js';
import { checkTimeoutMs, clampTimerDelayMs } from './long-timer.js';
import { traceMessage, type Logger } from './logger.js';
import {
  DISCOVER_COMMAND,
  MessageKind,
  MONITOR_COMMAND,
  PROTOCOL_VERSION,
  type HelloMessage,
  type Message,
  type ResponseMessage,
  fatalErrorMessage,
  isStreamMessage,
  SUPPORTED_FEATURES,
} from './messages.js';
import { admit, tokenRequired, type Admission, type AdmissionRules } from './admission.js';
import { handshakeProofs, newNonce, sameSecret } from './token-proof.js';
import { BROADCAST_SLICE_MS, BroadcastQueue } from './broadcast-queue.js';
import { SharedMessage } from './shared-message.js';
import { newId } from './ids.js';
import type { PeerPolicy } from './peer.js';
import type { Port, PortReceiver } from './port.js';

export interface ServerCoreOptions<C extends Contract = AnyContract> {
  /** The typed contract; only its type is used. */
  contract?: ContractRef<C>;
  /** The server's own name as peers see it in `client_name` (default "server"). */
  name?: string;
  token?: string;
  verbose?: boolean;
  maxFrameSize?: number;
  requestTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** Requests one connection may have waiting at once, to server handlers and through to other peers (default 4096). */
  maxInFlightRequests?: number;
  /** Streams each connection may have open per role (opened, served, routed); default 256, then TOO_MANY_STREAMS. */
  maxStreams?: number;
  /** Outstanding credit a peer may grant on one stream (its window); default 1024, then BAD_MESSAGE. */
  maxStreamCredit?: number;
  /**
   * How long one turn of the event loop may spend writing a broadcast (default 8 ms); the other
   * recipients get it over the next turns, so one broadcast to thousands of peers never stalls the server.
   */
  broadcastSliceMs?: number;
  logger?: Logger;
}

export interface PeerInfo {
  name: string;
  uuid: string;
  kind: string;
}

export interface ServerEvents {
  'client-connected': PeerInfo;
  'client-disconnected': PeerInfo & { reason?: IpcError };
  /** Every message the server receives from a peer, for monitoring. */
  message: { from: string; message: Message };
  error: IpcError;
}

export type ServerHandlers<C extends Contract> = HandlerCollection<C['server']>;

/**
 * The router every transport feeds: handshake, names, routing between peers,
 * the server's own handlers and requests. Knows ports, not sockets; the Node
 * server adds a listening socket, the Electron bridge adds MessagePorts.
 */
export class ServerCore<C extends Contract = AnyContract> {
  verbose: boolean;
  readonly name: string;
  readonly maxFrameSize: number;
  protected readonly logger: Logger;
  protected readonly events = new EventDispatcher<ServerEvents>();
  /** Every welcomed connection, by peer name. Each owns what it made the server hold. */
  private readonly peers = new Map<string, PeerConnection>();
  private readonly connecting = new Set<Port>();
  private readonly registry = new HandlerRegistry();
  /** Runs the server's handlers for its own emits (one-way calls have no per-connection state). */
  private readonly eventCalls = new HandlerCalls(this.registry);
  private readonly token: string | undefined;
  private readonly nameTokens = new Map<string, string>();
  private readonly handshakeTimeoutMs: number;
  private readonly host: PeerConnectionHost;
  private readonly uuid = newId();
  /** Peers that asked for `ipcio:monitor`: each gets a summary of every message others send. */
  private readonly monitors = new Set<PeerConnection>();
  private readonly copyToMonitors = ({ from, message }: ServerEvents['message']): void => {
    const m = message as Partial<{ to: string; cmd: string; id: number }>;
    // A summary, bounded whatever the peer sent: each name cut to a fixed length, encoded once for all monitors.
    const data = { from: cutForMonitor(from), to: cutForMonitor(m.to), kind: message.kind, cmd: cutForMonitor(m.cmd), id: m.id };
    const shared = new SharedMessage({ kind: MessageKind.Emit, cmd: MONITOR_COMMAND, data, from: this.name, fromUuid: this.uuid });
    for (const monitor of this.monitors) {
      if (monitor.name !== from) monitor.sendShared(shared);
    }
  };
  /** Writes broadcasts a slice per event-loop turn, in order per recipient. */
  private readonly broadcasts: BroadcastQueue;
  /** discover()'s answer, kept until a peer joins or leaves or the command lists change. */
  private discovery: Discovery | undefined;
  private closing = false;
  private readonly streamContext: ServerStreamContext;
  /** The seed's `server` in handler containers (the node:net Server on the Node side). */
  protected serverHandle: unknown = null;

  constructor(options: ServerCoreOptions<C> = {}, handlers?: NoInfer<ServerHandlers<C>>) {
    this.name = options.name ?? 'server';
    this.verbose = options.verbose ?? false;
    // An empty token is no token: it proves nothing.
    this.token = options.token === '' ? undefined : options.token;
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.handshakeTimeoutMs = clampTimerDelayMs(options.handshakeTimeoutMs ?? PROTOCOL.defaults.handshakeTimeoutMs, 'handshakeTimeoutMs');
    this.logger = options.logger ?? console;
    this.broadcasts = new BroadcastQueue(checkTimeoutMs(options.broadcastSliceMs ?? BROADCAST_SLICE_MS, 'broadcastSliceMs'));
    this.host = {
      requestTimeoutMs: options.requestTimeoutMs ?? PROTOCOL.defaults.requestTimeoutMs,
      maxInFlightRequests: positiveInteger(options.maxInFlightRequests ?? PROTOCOL.defaults.maxInFlightRequests, 'maxInFlightRequests'),
      registry: this.registry,
      reportError: (error) => this.reportError(error),
      traceSent: (peer, message) => traceMessage(this.logger, this.verbose, this.name, '->', peer.name, message),
      streamLimits: streamLimits(options),
    };
    this.streamContext = { name: this.name, registry: this.registry, serverHandle: () => this.serverHandle, peer: (name) => this.peers.get(name) };
    this.registry.addAll(handlers);
    this.registry.addBuiltIn(WAIT_COMMAND, (container) => answerPeerWait(this, container));
  }

  /** Resolves once a peer called `name` is connected (at once if it is); TIMEOUT after `timeoutMs`. */
  waitForPeer(name: string, options?: PeerWaitOptions): Promise<void> {
    return waitForPeer(this, name, options);
  }

  addHandlers(handlers: ServerHandlers<C>): this {
    this.registry.addAll(handlers);
    this.discovery = undefined;
    return this;
  }

  on<E extends keyof ServerEvents>(event: E, listener: (payload: ServerEvents[E]) => void): this {
    this.events.on(event, listener);
    return this;
  }

  off<E extends keyof ServerEvents>(event: E, listener: (payload: ServerEvents[E]) => void): this {
    this.events.off(event, listener);
    return this;
  }

  /**
   * Reserves `name` for whoever holds `token` (the supervisor gives each helper its own), or frees it
   * with `undefined`. The name then needs that token, not the server's; trusted ports are not asked.
   */
  reserveName(name: string, token: string | undefined): void {
    if (token === undefined) this.nameTokens.delete(name);
    else this.nameTokens.set(name, token);
  }

  /** Names of the clients connected now. */
  clients(): string[] {
    return [...this.peers.keys()];
  }

  /** The live connection of the client named `name`, if any: what it holds, and the means to release it. */
  connection(name: string): PeerConnection | undefined {
    return this.peers.get(name);
  }

  /**
   * Who is connected and what each handles. Built once and kept until a peer joins or leaves or a
   * command list changes, so asking again costs nothing; the answer is frozen, as it is shared.
   */
  discover(): Discovery {
    if (this.discovery) return this.discovery;
    // No prototype: a client named "__proto__" (or "constructor") is a key like any other.
    const peers = Object.create(null) as Record<string, string[]>;
    // A peer's list is only ever replaced, never changed in place: shared, frozen, not copied.
    for (const peer of this.peers.values()) peers[peer.name] = Object.freeze(peer.commands) as string[];
    this.discovery = Object.freeze({
      clients: Object.freeze(this.clients()) as string[],
      commands: Object.freeze(this.registry.names()) as string[],
      peers: Object.freeze(peers),
    });
    return this.discovery;
  }

  /** One-way command to a client by name; NO_SUCH_CLIENT goes to the error event. */
  emit<T extends keyof C['clients'] & string, K extends keyof C['clients'][T] & string>(
    clientName: T,
    command: K,
    ...[data]: PayloadOnlyArgs<C['clients'][T][K]['payload']>
  ): this {
    const peer = this.peers.get(clientName);
    if (!peer) this.reportError(noSuchClient(clientName));
    else peer.send({ kind: MessageKind.Emit, cmd: command, data, from: this.name, fromUuid: this.uuid });
    return this;
  }

  /** One-way command to every client. */
  broadcast<K extends keyof C['broadcasts'] & string>(command: K, ...[data]: PayloadOnlyArgs<C['broadcasts'][K]>): this {
    const shared = new SharedMessage({ kind: MessageKind.Broadcast, cmd: command, data, from: this.name, fromUuid: this.uuid });
    this.broadcasts.send(shared, [...this.peers.values()]);
    return this;
  }

  /** Asks a client by name and awaits its handler's result. */
  request<T extends keyof C['clients'] & string, K extends keyof C['clients'][T] & string>(
    clientName: T,
    command: K,
    ...[data, options]: PayloadArgs<C['clients'][T][K]['payload'], RequestOptions>
  ): Promise<ResultOf<C['clients'][T], K>> {
    const peer = this.peers.get(clientName);
    if (this.closing) return Promise.reject(new IpcError(ErrorCode.CLOSED, 'server is closed'));
    if (!peer) return Promise.reject(noSuchClient(clientName));
    const { request, promise } = peer.pending.create(`request "${command}" to "${clientName}"`, options);
    if (peer.pending.get(request.id)) {
      request.sent = true;
      const failure = peer.send({ kind: MessageKind.Request, id: request.id, cmd: command, data, from: this.name, fromUuid: this.uuid });
      if (failure) peer.pending.reject(request.id, failure);
    }
    return promise as Promise<ResultOf<C['clients'][T], K>>;
  }

  /**
   * Opens a stream from a client's stream handler: `for await (const item of server.stream('sensor', 'samples', data))`.
   * Breaking out of the loop cancels it (the producer's `finally` runs); NO_SUCH_CLIENT, UNSUPPORTED (an older
   * client) and the producer's errors are thrown from the loop.
   */
  stream<T extends keyof C['clients'] & string, K extends StreamKeys<C['clients'][T]>>(
    clientName: T,
    command: K,
    ...[data, options]: PayloadArgs<C['clients'][T][K]['payload'], StreamCallOptions>
  ): AsyncIterableIterator<ItemOf<C['clients'][T], K>, undefined> {
    if (this.closing) return failedStream(new IpcError(ErrorCode.CLOSED, 'server is closed'));
    const peer = this.peers.get(clientName);
    if (!peer) return failedStream(noSuchClient(clientName));
    return peer.streams.open(command, data, options);
  }

  /**
   * Takes a new connection from any transport. It must say hello within the
   * handshake timeout; `policy` lets a trusted transport fix its name and limits.
   */
  accept(port: Port, policy: PeerPolicy = NO_POLICY): void {
    if (this.closing) {
      port.close(new IpcError(ErrorCode.CLOSED, 'server is closing'));
      return;
    }
    this.connecting.add(port);
    const accepted = new AcceptedPort(port, policy, this.acceptHost);
    accepted.timer = setTimeout(() => {
      accepted.refused = true;
      this.refuse(port, new IpcError(ErrorCode.HANDSHAKE_TIMEOUT, `no ${accepted.proving ? 'proof' : 'hello'} within ${this.handshakeTimeoutMs} ms`));
    }, this.handshakeTimeoutMs);
    port.attach(accepted);
  }

  /** What every AcceptedPort calls: one object per server, not closures per connection. */
  private readonly acceptHost: AcceptHost = {
    message: (accepted, message) => {
      const { peer } = accepted;
      if (peer) {
        if (peer.open) this.onPeerMessage(peer, message);
        return;
      }
      if (accepted.refused) return; // a refused port may still deliver what was already on its way
      const { proving } = accepted;
      if (proving) {
        if (message.kind !== MessageKind.Proof || proving.expected === undefined) this.refuseAccepted(accepted, new IpcError(ErrorCode.BAD_MESSAGE, `expected proof after the challenge, got ${message.kind}`));
        else if (!sameSecret(message.proof, proving.expected)) this.refuseAccepted(accepted, new IpcError(ErrorCode.AUTH_FAILED, 'wrong token'));
        else this.welcomeAccepted(accepted, proving.hello);
        return;
      }
      let token: string | undefined;
      try {
        token = tokenRequired(message, accepted.policy, this.admissionRules());
      } catch (error) {
        traceMessage(this.logger, this.verbose, this.name, '<-', '(connecting)', message);
        this.refuseAccepted(accepted, error as IpcError);
        return;
      }
      if (token === undefined) {
        this.welcomeAccepted(accepted, message);
        return;
      }
      this.challenge(accepted, token, message as HelloMessage);
    },
    closed: (accepted, reason) => {
      accepted.closed = true;
      accepted.stopTimer();
      this.connecting.delete(accepted.port);
      if (accepted.peer) this.onPeerGone(accepted.peer, reason);
      else if (reason && !this.closing) this.reportError(reason);
    },
  };

  private refuseAccepted(accepted: AcceptedPort, error: IpcError): void {
    accepted.refused = true;
    accepted.stopTimer();
    this.refuse(accepted.port, error);
  }

  private welcomeAccepted(accepted: AcceptedPort, hello: Message): void {
    accepted.stopTimer();
    accepted.peer = this.handshake(accepted.port, accepted.policy, hello);
    if (!accepted.peer) accepted.refused = true;
  }

  /** Closes every connection; the server's pending requests reject with CLOSED. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const error = new IpcError(ErrorCode.CLOSED, 'server was closed');
    for (const port of [...this.connecting]) port.close();
    for (const peer of [...this.peers.values()]) {
      peer.dispose(error);
      peer.port.close();
    }
  }

  protected reportError(error: IpcError): void {
    if (this.events.hasListeners('error')) this.events.dispatch('error', error, (thrown) => this.logger.error(thrown));
    else this.logger.error(`[ipcio ${this.name}] ${error.code}: ${logSafe(error.message)}`);
  }

  private admissionRules(): AdmissionRules {
    return { serverName: this.name, token: this.token, nameTokens: this.nameTokens, peers: this.peers };
  }

  /**
   * The hello waits for the client's proof of the token: sends a fresh nonce and the server's own proof,
   * and keeps the proof the client must send back (`expected`, set once the challenge went out).
   */
  private challenge(accepted: AcceptedPort, token: string, hello: HelloMessage): void {
    const proving: Proving = { hello };
    accepted.proving = proving;
    const nonce = newNonce();
    handshakeProofs(token, hello.nonce as string, nonce).then(
      (proofs) => {
        if (accepted.closed || accepted.refused) return;
        proving.expected = proofs.client;
        try {
          accepted.port.send({ kind: MessageKind.Challenge, nonce, proof: proofs.server });
        } catch {
          // The port closed meanwhile; its onClose cleans up.
        }
      },
      (error: unknown) => this.refuseAccepted(accepted, error instanceof IpcError ? error : new IpcError(ErrorCode.AUTH_FAILED, `cannot compute the challenge: ${String(error)}`)),
    );
  }

  private handshake(port: Port, policy: PeerPolicy, message: Message): PeerConnection | undefined {
    traceMessage(this.logger, this.verbose, this.name, '<-', '(connecting)', message);
    let admission: Admission;
    try {
      admission = admit(message, policy, this.admissionRules());
    } catch (error) {
      this.refuse(port, error as IpcError);
      return undefined;
    }
    const { name, uuid, session } = admission;
    const replaced = admission.replaces ? this.peers.get(name) : undefined;
    if (replaced) {
      // The old connection learns why it ends, so its client stops instead of reclaiming the name back.
      const reason = new IpcError(ErrorCode.SESSION_REPLACED, `a newer connection of "${name}" reclaimed its session`);
      this.onPeerGone(replaced, reason);
      this.refuse(replaced.port, reason);
    }
    const hello = message as HelloMessage;
    // A client that announces no limit has the default one (64 MiB): a larger answer becomes an error response.
    port.maxOutgoingFrameSize = hello.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    const peer = new PeerConnection({ name, uuid, session, features: hello.features }, port, policy, hello.commands?.length ? hello.commands : NO_COMMANDS, this.host);
    this.connecting.delete(port);
    this.peers.set(name, peer);
    this.discovery = undefined;
    peer.send({
      kind: MessageKind.Welcome,
      version: PROTOCOL_VERSION,
      name,
      uuid,
      session,
      serverName: this.name,
      maxFrameSize: this.maxFrameSize,
      features: [...SUPPORTED_FEATURES],
    });
    this.events.dispatch('client-connected', peerInfo(peer), (e) => this.logger.error(e));
    return peer;
  }

  /** Sends a fatal error, saying whether a retry can succeed, and closes: the peer learns why first. */
  private refuse(port: Port, error: IpcError): void {
    if (this.verbose) this.logger.info(`[ipcio ${this.name}] refusing connection: ${error.code} ${logSafe(error.message)}`);
    try {
      port.send(fatalErrorMessage(error));
    } catch {
      // The port is already gone; closing is all that is left.
    }
    port.close(error);
  }

  private onPeerMessage(peer: PeerConnection, message: Message): void {
    traceMessage(this.logger, this.verbose, this.name, '<-', peer.name, message);
    if (this.events.hasListeners('message')) this.events.dispatch('message', { from: peer.name, message }, (e) => this.logger.error(e));
    if (isStreamMessage(message)) {
      dispatchStreamMessage(this.streamContext, peer, message);
      return;
    }
    switch (message.kind) {
      case MessageKind.Emit:
      case MessageKind.Broadcast:
      case MessageKind.Request:
        if (message.kind === MessageKind.Request && peer.isOutstanding(message.id)) {
          peer.send({ kind: MessageKind.Error, error: new IpcError(ErrorCode.BAD_MESSAGE, `request id ${message.id} is still outstanding; it was ignored`).toWire() });
          return;
        }
        // Discovery and monitoring are answered at once and hold nothing: allowed at the limit too.
        if (message.kind === MessageKind.Request && !answeredAtOnce(message.cmd) && peer.atRequestLimit()) {
          this.answerError(peer, message, peer.tooManyRequests());
          return;
        }
        if (!this.allowed(peer, message)) return;
        if (message.kind === MessageKind.Broadcast) this.relayBroadcast(peer, message.cmd, message.data);
        else if (message.to === undefined || message.to === this.name) this.handleForServer(peer, message);
        else this.forward(peer, message, message.to);
        return;
      case MessageKind.Response:
        this.onResponse(peer, message);
        return;
      case MessageKind.Cancel:
        peer.cancel(message.id);
        return;
      case MessageKind.Commands:
        // Over the bounds: the peer learns why, keeps its connection, and its earlier list stays.
        try {
          checkCommandList(message.commands);
          peer.commands = message.commands;
          this.discovery = undefined;
        } catch (error) {
          peer.send({ kind: MessageKind.Error, error: (error as IpcError).toWire() });
        }
        return;
      case MessageKind.Error:
        this.reportError(new IpcError(ErrorCode.BAD_MESSAGE, `client "${peer.name}" reported ${message.error.code}: ${message.error.message}`));
        return;
      default:
        this.refuse(peer.port, new IpcError(ErrorCode.BAD_MESSAGE, `unexpected ${message.kind} after the handshake`));
    }
  }

  private allowed(peer: PeerConnection, message: Message & { kind: 'emit' | 'request' | 'broadcast'; cmd: string; to?: string }): boolean {
    if (!peer.policy.allow || message.cmd === DISCOVER_COMMAND || message.cmd === WAIT_COMMAND || peer.policy.allow(message.cmd, message.to, message.kind)) return true;
    const error = new IpcError(ErrorCode.FORBIDDEN, `"${peer.name}" may not ${message.kind} "${message.cmd}"`);
    this.answerError(peer, message, error);
    return false;
  }

  /** An error about a peer's message: in the response when it was a request, else as an error message. */
  private answerError(peer: PeerConnection, message: Message, error: IpcError): void {
    if (message.kind === MessageKind.Request) peer.send({ kind: MessageKind.Response, id: message.id, error: error.toWire() });
    else peer.send({ kind: MessageKind.Error, error: error.toWire() });
  }

  private handleForServer(peer: PeerConnection, message: Message & { kind: 'emit' | 'request' }): void {
    const fields: ContainerFields = {
      data: message.data,
      client_name: peer.name,
      uuid: peer.uuid,
      socket: peer.port.socket,
      server: this.serverHandle,
    };
    if (message.kind === MessageKind.Emit) {
      const handled = this.eventCalls.event(message.cmd, fields, (error) => this.reportError(error));
      if (!handled) this.answerError(peer, message, new IpcError(ErrorCode.NO_HANDLER, `the server has no handler for "${message.cmd}"`));
      return;
    }
    if (message.cmd === DISCOVER_COMMAND) {
      // respond(): an answer too large for the requester's frame limit comes back as that error, not silence.
      peer.respond({ kind: MessageKind.Response, id: message.id, data: this.discover() });
      return;
    }
    if (message.cmd === MONITOR_COMMAND) {
      this.startMonitoring(peer);
      peer.send({ kind: MessageKind.Response, id: message.id, data: null });
      return;
    }
    peer.handle(message, fields);
  }

  /** Listens on the existing 'message' event only while someone monitors: no cost otherwise. */
  private startMonitoring(peer: PeerConnection): void {
    if (peer.monitoring) return;
    if (this.monitors.size === 0) this.events.on('message', this.copyToMonitors);
    this.monitors.add(peer);
    peer.monitor(() => {
      if (this.monitors.delete(peer) && this.monitors.size === 0) this.events.off('message', this.copyToMonitors);
    });
  }

  private forward(origin: PeerConnection, message: Message & { kind: 'emit' | 'request' }, targetName: string): void {
    const target = this.peers.get(targetName);
    if (!target) {
      this.answerError(origin, message, noSuchClient(targetName));
      return;
    }
    if (message.kind === MessageKind.Emit) {
      // As for an unknown target: the sender learns that its emit went nowhere (too large for the target, unencodable).
      const failure = target.send({ kind: MessageKind.Emit, cmd: message.cmd, data: message.data, from: origin.name, fromUuid: origin.uuid });
      if (failure && failure.code !== ErrorCode.CLOSED) this.answerError(origin, message, failure);
      return;
    }
    const failure = target.forwardFrom(origin, message);
    if (failure) this.answerError(origin, message, failure);
  }

  private relayBroadcast(origin: PeerConnection, command: string, data: unknown): void {
    const shared = new SharedMessage({ kind: MessageKind.Broadcast, cmd: command, data, from: origin.name, fromUuid: origin.uuid });
    const recipients: PeerConnection[] = [];
    for (const peer of this.peers.values()) if (peer !== origin) recipients.push(peer);
    this.broadcasts.send(shared, recipients);
  }

  private onResponse(peer: PeerConnection, message: ResponseMessage): void {
    if (peer.answerForwarded(message)) return;
    // Otherwise an answer to the server's own request; a late one (timed out, cancelled) finds nothing.
    if (message.error) peer.pending.reject(message.id, IpcError.fromWire(message.error));
    else peer.pending.resolve(message.id, message.data);
  }

  private onPeerGone(peer: PeerConnection, reason?: IpcError): void {
    const failure = this.closing
      ? new IpcError(ErrorCode.CLOSED, 'server was closed')
      : new IpcError(ErrorCode.DISCONNECTED, `client "${peer.name}" disconnected`);
    if (!peer.dispose(failure)) return; // already released (a reclaim replaced it, or the server closed)
    if (this.peers.get(peer.name) === peer) {
      this.peers.delete(peer.name);
      this.discovery = undefined;
    }
    if (reason && reason.code !== ErrorCode.DISCONNECTED && reason.code !== ErrorCode.SESSION_REPLACED && !this.closing) this.reportError(reason);
    this.events.dispatch('client-disconnected', { ...peerInfo(peer), reason }, (e) => this.logger.error(e));
  }
}

/** The policy of a port accepted without one; shared, as it is never written. */
const NO_POLICY: PeerPolicy = Object.freeze({});
/** The command list of a peer that announced none (replaced, never written, when it announces some). */
const NO_COMMANDS: string[] = Object.freeze([]) as unknown as string[];

interface AcceptHost {
  message(accepted: AcceptedPort, message: Message): void;
  closed(accepted: AcceptedPort, reason: IpcError | undefined): void;
}

/** A hello waiting for the client's proof of the token; `expected` once the challenge went out. */
interface Proving {
  hello: HelloMessage;
  expected?: string;
}

/**
 * A port's receiver from accept to close, as one small object rather than two closures over
 * accept's scope (which also kept the handshake Timeout alive): it lives as long as the connection.
 */

class AcceptedPort implements PortReceiver {
  peer: PeerConnection | undefined;
  refused = false;
  closed = false;
  proving: Proving | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly port: Port,
    readonly policy: PeerPolicy,
    private readonly host: AcceptHost,
  ) {}

  onMessage(message: Message): void {
    this.host.message(this, message);
  }

  onClose(reason?: IpcError): void {
    this.host.closed(this, reason);
  }

  stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Longest name or command a monitor summary carries; the rest is cut (a peer chooses these strings). */
export const MONITOR_MAX_FIELD_CHARS = 256;

function cutForMonitor(text: string | undefined): string | undefined {
  return text !== undefined && text.length > MONITOR_MAX_FIELD_CHARS ? `${text.slice(0, MONITOR_MAX_FIELD_CHARS)}…` : text;
}

function peerInfo(peer: PeerConnection): PeerInfo {
  return { name: peer.name, uuid: peer.uuid, kind: peer.policy.kind ?? 'socket' };
}

function answeredAtOnce(command: string): boolean {
  return command === DISCOVER_COMMAND || command === MONITOR_COMMAND;
}

function streamLimits(options: ServerCoreOptions<Contract>): { maxStreams?: number; maxCredit?: number } {
  const limits: { maxStreams?: number; maxCredit?: number } = {};
  if (options.maxStreams !== undefined) limits.maxStreams = positiveInteger(options.maxStreams, 'maxStreams');
  if (options.maxStreamCredit !== undefined) limits.maxCredit = positiveInteger(options.maxStreamCredit, 'maxStreamCredit');
  return limits;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new IpcError(ErrorCode.INVALID_ARGUMENT, `${name} must be a positive integer, got ${value}`);
  return value;
}

function noSuchClient(name: string): IpcError {
  return new IpcError(ErrorCode.NO_SUCH_CLIENT, `no client named "${name}" is connected`);
}
