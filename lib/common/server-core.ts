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
} from './contract.js';
import { ErrorCode, IpcError } from './errors.js';
import { EventDispatcher } from './event-dispatcher.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame-codec.js';
import { HandlerCalls, type ContainerFields } from './handler-calls.js';
import { HandlerRegistry } from './handler-registry.js';
import { logSafe } from './log-text.js';
import { clampTimerDelayMs } from './long-timer.js';
import { traceMessage, type Logger } from './logger.js';
import {
  DISCOVER_COMMAND,
  MessageKind,
  MONITOR_COMMAND,
  PROTOCOL_VERSION,
  type HelloMessage,
  type Message,
  type RequestMessage,
  type ResponseMessage,
} from './messages.js';
import { admit, type Admission } from './admission.js';
import { newId } from './ids.js';
import { ForwardedRequests, type ForwardedRequest } from './forwarded-requests.js';
import type { Peer, PeerPolicy } from './peer.js';
import { PendingRequests } from './pending-requests.js';
import type { Port } from './port.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './client-endpoint.js';

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
  private readonly peers = new Map<string, Peer>();
  private readonly connecting = new Set<Port>();
  private readonly forwarded = new ForwardedRequests();
  private readonly registry = new HandlerRegistry();
  private readonly calls = new HandlerCalls(this.registry);
  private readonly pending: PendingRequests;
  private readonly token: string | undefined;
  private readonly nameTokens = new Map<string, string>();
  private readonly handshakeTimeoutMs: number;
  private readonly uuid = newId();
  /** Peers that asked for `ipcio:monitor`: each gets a summary of every message others send. */
  private readonly monitors = new Set<Peer>();
  private readonly copyToMonitors = ({ from, message }: ServerEvents['message']): void => {
    const m = message as Partial<{ to: string; cmd: string; id: number }>;
    const data = { from, to: m.to, kind: message.kind, cmd: m.cmd, id: m.id };
    for (const monitor of this.monitors) {
      if (monitor.name !== from) this.sendTo(monitor, { kind: MessageKind.Emit, cmd: MONITOR_COMMAND, data, from: this.name, fromUuid: this.uuid });
    }
  };
  private closing = false;
  /** The seed's `server` in handler containers (the node:net Server on the Node side). */
  protected serverHandle: unknown = null;

  constructor(options: ServerCoreOptions<C> = {}, handlers?: NoInfer<ServerHandlers<C>>) {
    this.name = options.name ?? 'server';
    this.verbose = options.verbose ?? false;
    this.token = options.token;
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.handshakeTimeoutMs = clampTimerDelayMs(options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    this.logger = options.logger ?? console;
    this.pending = new PendingRequests(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, (request) => {
      const peer = request.tag as Peer;
      if (this.isConnected(peer)) this.sendTo(peer, { kind: MessageKind.Cancel, id: request.id });
    });
    this.registry.addAll(handlers);
    this.registry.addBuiltIn(WAIT_COMMAND, (container) => answerPeerWait(this, container));
  }

  /** Resolves once a peer called `name` is connected (at once if it is); TIMEOUT after `timeoutMs`. */
  waitForPeer(name: string, options?: PeerWaitOptions): Promise<void> {
    return waitForPeer(this, name, options);
  }

  addHandlers(handlers: ServerHandlers<C>): this {
    this.registry.addAll(handlers);
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

  discover(): Discovery {
    const peers: Record<string, string[]> = {};
    for (const peer of this.peers.values()) peers[peer.name] = [...peer.commands];
    return { clients: this.clients(), commands: this.registry.names(), peers };
  }

  /** One-way command to a client by name; NO_SUCH_CLIENT goes to the error event. */
  emit<T extends keyof C['clients'] & string, K extends keyof C['clients'][T] & string>(
    clientName: T,
    command: K,
    ...[data]: PayloadOnlyArgs<C['clients'][T][K]['payload']>
  ): this {
    const peer = this.peers.get(clientName);
    if (!peer) this.reportError(noSuchClient(clientName));
    else this.sendTo(peer, { kind: MessageKind.Emit, cmd: command, data, from: this.name, fromUuid: this.uuid });
    return this;
  }

  /** One-way command to every client. */
  broadcast<K extends keyof C['broadcasts'] & string>(command: K, ...[data]: PayloadOnlyArgs<C['broadcasts'][K]>): this {
    for (const peer of this.peers.values()) {
      this.sendTo(peer, { kind: MessageKind.Broadcast, cmd: command, data, from: this.name, fromUuid: this.uuid });
    }
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
    const { request, promise } = this.pending.create(`request "${command}" to "${clientName}"`, options, peer);
    if (this.pending.get(request.id)) {
      request.sent = true;
      const failure = this.sendTo(peer, { kind: MessageKind.Request, id: request.id, cmd: command, data, from: this.name, fromUuid: this.uuid });
      if (failure) this.pending.reject(request.id, failure);
    }
    return promise as Promise<ResultOf<C['clients'][T], K>>;
  }

  /**
   * Takes a new connection from any transport. It must say hello within the
   * handshake timeout; `policy` lets a trusted transport fix its name and limits.
   */
  accept(port: Port, policy: PeerPolicy = {}): void {
    if (this.closing) {
      port.close(new IpcError(ErrorCode.CLOSED, 'server is closing'));
      return;
    }
    this.connecting.add(port);
    let peer: Peer | undefined;
    const timer = setTimeout(() => {
      this.refuse(port, new IpcError(ErrorCode.HANDSHAKE_TIMEOUT, `no hello within ${this.handshakeTimeoutMs} ms`));
    }, this.handshakeTimeoutMs);
    port.attach({
      onMessage: (message) => {
        if (peer) {
          this.onPeerMessage(peer, message);
          return;
        }
        clearTimeout(timer);
        peer = this.handshake(port, policy, message);
      },
      onClose: (reason) => {
        clearTimeout(timer);
        this.connecting.delete(port);
        if (peer) this.onPeerGone(peer, reason);
        else if (reason && !this.closing) this.reportError(reason);
      },
    });
  }

  /** Closes every connection; the server's pending requests reject with CLOSED. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const error = new IpcError(ErrorCode.CLOSED, 'server was closed');
    this.pending.rejectWhere(error);
    this.calls.cancelAll(error);
    for (const port of [...this.connecting]) port.close();
    for (const peer of [...this.peers.values()]) peer.port.close();
  }

  protected reportError(error: IpcError): void {
    if (this.events.hasListeners('error')) this.events.dispatch('error', error, (thrown) => this.logger.error(thrown));
    else this.logger.error(`[ipcio ${this.name}] ${error.code}: ${logSafe(error.message)}`);
  }

  private handshake(port: Port, policy: PeerPolicy, message: Message): Peer | undefined {
    traceMessage(this.logger, this.verbose, this.name, '<-', '(connecting)', message);
    let admission: Admission;
    try {
      admission = admit(message, policy, { serverName: this.name, token: this.token, nameTokens: this.nameTokens, peers: this.peers });
    } catch (error) {
      this.refuse(port, error as IpcError);
      return undefined;
    }
    const { name, uuid, session, replaces } = admission;
    if (replaces) {
      this.onPeerGone(replaces, new IpcError(ErrorCode.DISCONNECTED, 'replaced by a reconnect of the same client'));
      replaces.port.close();
    }
    const hello = message as HelloMessage;
    if (hello.maxFrameSize !== undefined) port.maxOutgoingFrameSize = hello.maxFrameSize;
    const peer: Peer = { name, uuid, session, port, policy, commands: hello.commands ?? [] };
    this.connecting.delete(port);
    this.peers.set(name, peer);
    this.sendTo(peer, {
      kind: MessageKind.Welcome,
      version: PROTOCOL_VERSION,
      name,
      uuid,
      session,
      serverName: this.name,
      maxFrameSize: this.maxFrameSize,
    });
    this.events.dispatch('client-connected', peerInfo(peer), (e) => this.logger.error(e));
    return peer;
  }

  /** Sends a fatal error and closes: the peer learns why before the connection ends. */
  private refuse(port: Port, error: IpcError): void {
    if (this.verbose) this.logger.info(`[ipcio ${this.name}] refusing connection: ${error.code} ${logSafe(error.message)}`);
    try {
      port.send({ kind: MessageKind.Error, error: error.toWire(), fatal: true });
    } catch {
      // The port is already gone; closing is all that is left.
    }
    port.close(error);
  }

  private onPeerMessage(peer: Peer, message: Message): void {
    traceMessage(this.logger, this.verbose, this.name, '<-', peer.name, message);
    if (this.events.hasListeners('message')) this.events.dispatch('message', { from: peer.name, message }, (e) => this.logger.error(e));
    switch (message.kind) {
      case MessageKind.Emit:
      case MessageKind.Broadcast:
      case MessageKind.Request:
        if (!this.allowed(peer, message)) return;
        if (message.kind === MessageKind.Broadcast) this.relayBroadcast(peer, message.cmd, message.data);
        else if (message.to === undefined || message.to === this.name) this.handleForServer(peer, message);
        else this.forward(peer, message, message.to);
        return;
      case MessageKind.Response:
        this.onResponse(peer, message);
        return;
      case MessageKind.Cancel:
        this.onCancel(peer, message.id);
        return;
      case MessageKind.Commands:
        peer.commands = message.commands;
        return;
      case MessageKind.Error:
        this.reportError(new IpcError(ErrorCode.BAD_MESSAGE, `client "${peer.name}" reported ${message.error.code}: ${message.error.message}`));
        return;
      default:
        this.refuse(peer.port, new IpcError(ErrorCode.BAD_MESSAGE, `unexpected ${message.kind} after the handshake`));
    }
  }

  private allowed(peer: Peer, message: Message & { kind: 'emit' | 'request' | 'broadcast'; cmd: string; to?: string }): boolean {
    if (!peer.policy.allow || message.cmd === DISCOVER_COMMAND || message.cmd === WAIT_COMMAND || peer.policy.allow(message.cmd, message.to, message.kind)) return true;
    const error = new IpcError(ErrorCode.FORBIDDEN, `"${peer.name}" may not ${message.kind} "${message.cmd}"`);
    this.answerError(peer, message, error);
    return false;
  }

  /** An error about a peer's message: in the response when it was a request, else as an error message. */
  private answerError(peer: Peer, message: Message, error: IpcError): void {
    if (message.kind === MessageKind.Request) this.sendTo(peer, { kind: MessageKind.Response, id: message.id, error: error.toWire() });
    else this.sendTo(peer, { kind: MessageKind.Error, error: error.toWire() });
  }

  private handleForServer(peer: Peer, message: Message & { kind: 'emit' | 'request' }): void {
    const fields: ContainerFields = {
      data: message.data,
      client_name: peer.name,
      uuid: peer.uuid,
      socket: peer.port.socket,
      server: this.serverHandle,
    };
    if (message.kind === MessageKind.Emit) {
      const handled = this.calls.event(message.cmd, fields, (error) => this.reportError(error));
      if (!handled) this.answerError(peer, message, new IpcError(ErrorCode.NO_HANDLER, `the server has no handler for "${message.cmd}"`));
      return;
    }
    if (message.cmd === DISCOVER_COMMAND) {
      this.sendTo(peer, { kind: MessageKind.Response, id: message.id, data: this.discover() });
      return;
    }
    if (message.cmd === MONITOR_COMMAND) {
      // Listen on the existing 'message' event only while someone monitors: no cost otherwise.
      if (this.monitors.size === 0) this.events.on('message', this.copyToMonitors);
      this.monitors.add(peer);
      this.sendTo(peer, { kind: MessageKind.Response, id: message.id, data: null });
      return;
    }
    void this.answerRequest(peer, message, fields);
  }

  private async answerRequest(peer: Peer, message: RequestMessage, fields: ContainerFields): Promise<void> {
    let response: ResponseMessage;
    try {
      const data = await this.calls.request(`${peer.uuid}:${message.id}`, peer.uuid, message.cmd, fields);
      response = { kind: MessageKind.Response, id: message.id, data };
    } catch (error) {
      response = { kind: MessageKind.Response, id: message.id, error: (error as IpcError).toWire() };
    }
    if (this.isConnected(peer)) this.respond(peer, response);
  }

  private forward(origin: Peer, message: Message & { kind: 'emit' | 'request' }, targetName: string): void {
    const target = this.peers.get(targetName);
    if (!target) {
      this.answerError(origin, message, noSuchClient(targetName));
      return;
    }
    const routed = { from: origin.name, fromUuid: origin.uuid };
    if (message.kind === MessageKind.Emit) {
      // As for an unknown target: the sender learns that its emit went nowhere (too large for the target, unencodable).
      const failure = this.sendTo(target, { kind: MessageKind.Emit, cmd: message.cmd, data: message.data, ...routed });
      if (failure && failure.code !== ErrorCode.CLOSED) this.answerError(origin, message, failure);
      return;
    }
    const forwarded: ForwardedRequest = { routeId: this.pending.allocateId(), origin, originId: message.id, target };
    this.forwarded.add(forwarded);
    const failure = this.sendTo(target, { kind: MessageKind.Request, id: forwarded.routeId, cmd: message.cmd, data: message.data, ...routed });
    if (failure) {
      this.forwarded.remove(forwarded);
      this.answerError(origin, message, failure);
    }
  }

  private relayBroadcast(origin: Peer, command: string, data: unknown): void {
    for (const peer of this.peers.values()) {
      if (peer !== origin) this.sendTo(peer, { kind: MessageKind.Broadcast, cmd: command, data, from: origin.name, fromUuid: origin.uuid });
    }
  }

  private onResponse(peer: Peer, message: ResponseMessage): void {
    const forwarded = this.forwarded.takeAnswered(message.id, peer);
    if (forwarded) {
      if (this.isConnected(forwarded.origin)) this.respond(forwarded.origin, { ...message, id: forwarded.originId });
      return;
    }
    const own = this.pending.get(message.id);
    if (!own || own.tag !== peer) return; // late answer to a request that timed out or was cancelled
    if (message.error) this.pending.reject(message.id, IpcError.fromWire(message.error));
    else this.pending.resolve(message.id, message.data);
  }

  private onCancel(peer: Peer, id: number): void {
    const forwarded = this.forwarded.takeCancelled(peer, id);
    if (!forwarded) {
      this.calls.cancel(`${peer.uuid}:${id}`, new IpcError(ErrorCode.CANCELLED, `"${peer.name}" cancelled the request`));
      return;
    }
    if (this.isConnected(forwarded.target)) this.sendTo(forwarded.target, { kind: MessageKind.Cancel, id: forwarded.routeId });
  }

  private onPeerGone(peer: Peer, reason?: IpcError): void {
    if (!this.isConnected(peer)) return;
    this.peers.delete(peer.name);
    if (this.monitors.delete(peer) && this.monitors.size === 0) this.events.off('message', this.copyToMonitors);
    const gone = new IpcError(ErrorCode.DISCONNECTED, `client "${peer.name}" disconnected`);
    this.pending.rejectWhere(gone, (request) => request.tag === peer);
    this.calls.cancelAll(gone, peer.uuid);
    for (const forwarded of this.forwarded.takeAllThrough(peer)) {
      // The target went away: its requester gets DISCONNECTED. The origin went away: the target may stop working.
      if (forwarded.target === peer) {
        if (this.isConnected(forwarded.origin)) {
          this.sendTo(forwarded.origin, { kind: MessageKind.Response, id: forwarded.originId, error: gone.toWire() });
        }
      } else if (this.isConnected(forwarded.target)) {
        this.sendTo(forwarded.target, { kind: MessageKind.Cancel, id: forwarded.routeId });
      }
    }
    if (reason && reason.code !== ErrorCode.DISCONNECTED && !this.closing) this.reportError(reason);
    this.events.dispatch('client-disconnected', { ...peerInfo(peer), reason }, (e) => this.logger.error(e));
  }

  /** False for a peer whose connection ended (or was replaced by a reconnect under its name). */
  private isConnected(peer: Peer): boolean {
    return this.peers.get(peer.name) === peer;
  }

  /** Sends to one peer; a failure (too large, slow consumer, closed) concerns that peer only and is returned. */
  private sendTo(peer: Peer, message: Message): IpcError | undefined {
    try {
      peer.port.send(message);
    } catch (error) {
      const failure = error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error));
      if (failure.code !== ErrorCode.CLOSED) {
        this.reportError(new IpcError(failure.code, `sending ${message.kind} to "${peer.name}" failed: ${failure.message}`));
      }
      return failure;
    }
    traceMessage(this.logger, this.verbose, this.name, '->', peer.name, message);
    return undefined;
  }

  /** Sends a response; when the result itself cannot be sent (too large), the requester gets that error instead. */
  private respond(peer: Peer, response: ResponseMessage): void {
    const failure = this.sendTo(peer, response);
    if (failure && failure.code !== ErrorCode.CLOSED && response.error === undefined) {
      this.sendTo(peer, { kind: MessageKind.Response, id: response.id, error: failure.toWire() });
    }
  }
}

function peerInfo(peer: Peer): PeerInfo {
  return { name: peer.name, uuid: peer.uuid, kind: peer.policy.kind ?? 'socket' };
}

function noSuchClient(name: string): IpcError {
  return new IpcError(ErrorCode.NO_SUCH_CLIENT, `no client named "${name}" is connected`);
}
