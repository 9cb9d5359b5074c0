import { waitForPeerVia, type PeerWaitOptions } from './peer-wait.js';
import { newId } from './ids.js';
import { backoffDelayMs, DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
import type {
  AnyContract,
  BroadcastHandlers,
  ClientCommands,
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
import { DEFAULT_QUEUE_LIMIT, OfflineQueue, type QueueLimit, type QueuedMessage } from './offline-queue.js';
import { EventDispatcher } from './event-dispatcher.js';
import { HandlerCalls } from './handler-calls.js';
import { HandlerRegistry } from './handler-registry.js';
import type { Logger } from './logger.js';
import { traceMessage } from './logger.js';
import { logSafe } from './log-text.js';
import { clampTimerDelayMs } from './long-timer.js';
import { DISCOVER_COMMAND, MessageKind, PROTOCOL_VERSION, type Message, type RequestMessage } from './messages.js';
import { PendingRequests, type PendingRequest } from './pending-requests.js';
import type { Port } from './port.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;

export interface ClientEndpointOptions<C extends Contract, N extends string> {
  name?: N;
  contract?: ContractRef<C>;
  token?: string;
  verbose?: boolean;
  /** Backoff bounds between reconnect attempts, or false to give up after the first failure. */
  reconnect?: Partial<ReconnectOptions> | false;
  /** Offline queue bound: a number of messages, or both bounds. */
  queueLimit?: number | Partial<QueueLimit>;
  requestTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  /** Largest frame accepted from the server; announced in the hello so the server refuses to send more. */
  maxFrameSize?: number;
  logger?: Logger;
}

export interface ClientEvents {
  connect: { name: string; uuid: string };
  disconnect: { name: string; reason?: IpcError };
  error: IpcError;
}

/** The handlers a client may register: its own commands from the contract, and broadcasts. */
export type ClientHandlers<C extends Contract, N extends string> = HandlerCollection<ClientCommands<C, N>> &
  BroadcastHandlers<C['broadcasts']>;

const FATAL_REFUSALS: ReadonlySet<string> = new Set([ErrorCode.NAME_TAKEN, ErrorCode.AUTH_FAILED, ErrorCode.PROTOCOL_VERSION]);
/** Found before connecting: retrying cannot make another user's directory safe. */
const FATAL_CONNECT_FAILURES: ReadonlySet<string> = new Set([ErrorCode.UNSAFE_SOCKET_DIR, ErrorCode.SOCKET_PATH_TOO_LONG, ErrorCode.NOT_ATTACHED, ErrorCode.ORIGIN_REFUSED]);

/**
 * A named client over any port: handshake, offline queue, requests with
 * timeouts and cancellation, handlers, reconnect with backoff. The Node
 * client supplies a socket; the preload and browser mode supply other ports.
 */
export class ClientEndpoint<C extends Contract = AnyContract, N extends string = string> {
  verbose: boolean;
  private currentName: string;
  private uuid = '';
  private session: string | undefined;
  private serverName = 'server';
  private port: Port | undefined;
  private online = false;
  private started = false;
  private closed = false;
  private refused: IpcError | undefined;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly queue: OfflineQueue;
  private readonly registry = new HandlerRegistry();
  private readonly calls = new HandlerCalls(this.registry);
  private readonly pending: PendingRequests;
  private readonly events = new EventDispatcher<ClientEvents>();
  private readonly reconnectOptions: ReconnectOptions | false;
  private readonly handshakeTimeoutMs: number;
  private readonly token: string | undefined;
  private readonly maxFrameSize: number | undefined;
  protected readonly logger: Logger;
  private settleReady!: { resolve: () => void; reject: (error: IpcError) => void };
  /** Settles at the first successful handshake; rejects on a fatal refusal or close. */
  readonly ready: Promise<void>;

  constructor(
    private readonly openPort: () => Promise<Port>,
    options: ClientEndpointOptions<C, N> = {},
    // NoInfer: the contract type comes from `options.contract`, never guessed from the handlers.
    handlers?: NoInfer<ClientHandlers<C, N>>,
  ) {
    this.currentName = options.name ?? newId();
    this.verbose = options.verbose ?? false;
    this.token = options.token;
    this.maxFrameSize = options.maxFrameSize;
    this.logger = options.logger ?? console;
    this.handshakeTimeoutMs = clampTimerDelayMs(options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    this.reconnectOptions = options.reconnect === false ? false : { ...DEFAULT_RECONNECT, ...options.reconnect };
    const limit = options.queueLimit;
    this.queue = new OfflineQueue(typeof limit === 'number' ? { ...DEFAULT_QUEUE_LIMIT, messages: limit } : { ...DEFAULT_QUEUE_LIMIT, ...limit });
    this.pending = new PendingRequests(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, (request) => this.onGiveUp(request));
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // Awaiting `ready` is optional; its rejection is also reported on the error event.
    this.ready.catch(() => undefined);
    this.registry.addAll(handlers);
  }

  get name(): string {
    return this.currentName;
  }

  get connected(): boolean {
    return this.online;
  }

  /** Starts connecting (and reconnecting); returns this, as in the seed. */
  connect(): this {
    if (this.started) throw new IpcError(ErrorCode.ALREADY_STARTED, `client "${this.currentName}" is already connecting`);
    if (this.closed) throw new IpcError(ErrorCode.CLOSED, 'client is closed');
    this.started = true;
    void this.openConnection();
    return this;
  }

  addHandlers(handlers: ClientHandlers<C, N>): this {
    this.registry.addAll(handlers);
    if (this.online) this.sendNow({ kind: MessageKind.Commands, commands: this.registry.names() });
    return this;
  }

  /** Removes the handler for `command` (the renderer API's unsubscribe needs it) and tells the server. */
  removeHandler(command: string): this {
    if (this.registry.remove(command) && this.online) this.sendNow({ kind: MessageKind.Commands, commands: this.registry.names() });
    return this;
  }

  on<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): this {
    this.events.on(event, listener);
    return this;
  }

  off<E extends keyof ClientEvents>(event: E, listener: (payload: ClientEvents[E]) => void): this {
    this.events.off(event, listener);
    return this;
  }

  /** One-way command to the server; queued while offline and sent in order on connect. */
  emit<K extends keyof C['server'] & string>(command: K, ...[data]: PayloadOnlyArgs<C['server'][K]['payload']>): this {
    this.submit({ kind: MessageKind.Emit, cmd: command, data });
    return this;
  }

  /** One-way command to another client, through the server. */
  emitTo<T extends keyof C['clients'] & string, K extends keyof C['clients'][T] & string>(
    clientName: T,
    command: K,
    ...[data]: PayloadOnlyArgs<C['clients'][T][K]['payload']>
  ): this {
    this.submit({ kind: MessageKind.Emit, cmd: command, data, to: clientName });
    return this;
  }

  /** One-way command to every other client. */
  broadcast<K extends keyof C['broadcasts'] & string>(command: K, ...[data]: PayloadOnlyArgs<C['broadcasts'][K]>): this {
    this.submit({ kind: MessageKind.Broadcast, cmd: command, data });
    return this;
  }

  /** Asks the server and awaits its handler's result. */
  request<K extends keyof C['server'] & string>(
    command: K,
    ...[data, options]: PayloadArgs<C['server'][K]['payload'], RequestOptions>
  ): Promise<ResultOf<C['server'], K>> {
    return this.makeRequest(command, data, undefined, options) as Promise<ResultOf<C['server'], K>>;
  }

  /** Asks another client, through the server, and awaits its handler's result. */
  requestFrom<T extends keyof C['clients'] & string, K extends keyof C['clients'][T] & string>(
    clientName: T,
    command: K,
    ...[data, options]: PayloadArgs<C['clients'][T][K]['payload'], RequestOptions>
  ): Promise<ResultOf<C['clients'][T], K>> {
    return this.makeRequest(command, data, clientName, options) as Promise<ResultOf<C['clients'][T], K>>;
  }

  /** Every connected client, the server's commands and each client's commands. */
  discover(options?: RequestOptions): Promise<Discovery> {
    return this.makeRequest(DISCOVER_COMMAND, undefined, undefined, options) as Promise<Discovery>;
  }

  /** Resolves once a peer called `name` is connected to the server (at once if it is); TIMEOUT after `timeoutMs`. */
  waitForPeer(name: string, options?: PeerWaitOptions): Promise<void> {
    return waitForPeerVia((command, data, requestOptions) => this.makeRequest(command, data, undefined, requestOptions), name, options);
  }

  /** Closes the connection for good; pending requests reject with CLOSED. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.handshakeTimer);
    const error = new IpcError(ErrorCode.CLOSED, `client "${this.currentName}" was closed`);
    this.failQueue(error);
    this.pending.rejectWhere(error);
    this.calls.cancelAll(error);
    this.settleReady.reject(error);
    this.port?.close();
    this.events.clear();
    return Promise.resolve();
  }

  private makeRequest(command: string, data: unknown, to: string | undefined, options: RequestOptions | undefined): Promise<unknown> {
    const description = to === undefined ? `request "${command}"` : `request "${command}" to "${to}"`;
    if (this.closed) return Promise.reject(new IpcError(ErrorCode.CLOSED, `${description}: client is closed`));
    const { request, promise } = this.pending.create(description, options);
    if (this.pending.get(request.id) === undefined) return promise; // the signal was already aborted
    const message: RequestMessage = { kind: MessageKind.Request, id: request.id, cmd: command, data };
    if (to !== undefined) message.to = to;
    this.submit(message, request);
    return promise;
  }

  /** Sends now when online with nothing queued ahead; otherwise queues, refusing past the limit. */
  private submit(message: Message, request?: PendingRequest): void {
    if (this.closed) {
      this.reportOrReject(new IpcError(ErrorCode.CLOSED, 'client is closed'), request);
      return;
    }
    // write() is false when the port closed under us (the server went away; its close is not seen yet): queue it then.
    if (this.online && this.queue.length === 0 && this.write({ message, size: 0, request })) return;
    const full = this.queue.push(message, request);
    if (full) this.reportOrReject(full, request);
  }

  /** Hands one message to the port. False when the port turned out closed (the message must stay queued). */
  private write(entry: QueuedMessage): boolean {
    const port = this.port;
    if (!port) return false;
    try {
      port.send(entry.message);
    } catch (error) {
      if (error instanceof IpcError && error.code === ErrorCode.CLOSED) return false;
      this.reportOrReject(error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error)), entry.request);
      return true;
    }
    traceMessage(this.logger, this.verbose, this.currentName, '->', this.serverName, entry.message);
    if (entry.request) entry.request.sent = true;
    return true;
  }

  private flushQueue(): void {
    this.queue.drain((entry) => this.online && this.write(entry));
  }

  private failQueue(error: IpcError): void {
    const dropped = this.queue.takeAll();
    let droppedEmits = 0;
    for (const entry of dropped) {
      if (entry.request) this.pending.reject(entry.request.id, error);
      else droppedEmits += 1;
    }
    if (droppedEmits > 0) {
      this.reportError(new IpcError(error.code, `${droppedEmits} queued message(s) were never sent: ${error.message}`));
    }
  }

  /** A request timed out or was aborted: unqueue it, or tell the handler side to stop. */
  private onGiveUp(request: PendingRequest): void {
    if (!request.sent) {
      this.queue.remove(request);
      return;
    }
    if (this.online) this.sendNow({ kind: MessageKind.Cancel, id: request.id });
  }

  private sendNow(message: Message): void {
    this.write({ message, size: 0 });
  }

  private reportOrReject(error: IpcError, request?: PendingRequest): void {
    if (request) this.pending.reject(request.id, error);
    else this.reportError(error);
  }

  protected reportError(error: IpcError): void {
    if (this.events.hasListeners('error')) {
      this.events.dispatch('error', error, (thrown) => this.logger.error('[ipcio] error listener threw', thrown));
    } else {
      this.logger.error(`[ipcio ${this.currentName}] ${error.code}: ${logSafe(error.message)}`);
    }
  }

  private async openConnection(): Promise<void> {
    let port: Port;
    try {
      port = await this.openPort();
    } catch (error) {
      if (this.closed) return;
      if (error instanceof IpcError && FATAL_CONNECT_FAILURES.has(error.code)) {
        this.refuse(error);
        return;
      }
      if (this.verbose) this.logger.debug(`[ipcio ${this.currentName}] connect failed: ${(error as Error).message}`);
      this.scheduleReconnect(error instanceof IpcError ? error : new IpcError(ErrorCode.DISCONNECTED, (error as Error).message));
      return;
    }
    if (this.closed) {
      port.close();
      return;
    }
    this.port = port;
    port.attach({
      onMessage: (message) => this.onMessage(port, message),
      onClose: (reason) => this.onPortClosed(port, reason),
    });
    this.handshakeTimer = setTimeout(() => {
      port.close(new IpcError(ErrorCode.HANDSHAKE_TIMEOUT, `no welcome within ${this.handshakeTimeoutMs} ms`));
    }, this.handshakeTimeoutMs);
    const hello: Message = { kind: MessageKind.Hello, version: PROTOCOL_VERSION, name: this.currentName, commands: this.registry.names() };
    if (this.token !== undefined) hello.token = this.token;
    if (this.session !== undefined) hello.session = this.session;
    if (this.maxFrameSize !== undefined) hello.maxFrameSize = this.maxFrameSize;
    this.sendNow(hello);
  }

  private scheduleReconnect(reason: IpcError): void {
    if (this.closed || this.refused) return;
    if (this.reconnectOptions === false) {
      this.settleReady.reject(reason);
      this.reportError(reason);
      this.failQueue(reason);
      return;
    }
    const delayMs = backoffDelayMs(this.attempt, this.reconnectOptions);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => void this.openConnection(), delayMs);
  }

  private onMessage(port: Port, message: Message): void {
    if (port !== this.port) return;
    traceMessage(this.logger, this.verbose, this.currentName, '<-', this.serverName, message);
    switch (message.kind) {
      case MessageKind.Welcome:
        clearTimeout(this.handshakeTimer);
        this.currentName = message.name;
        this.uuid = message.uuid;
        this.session = message.session;
        this.serverName = message.serverName;
        port.maxOutgoingFrameSize = message.maxFrameSize;
        this.online = true;
        this.attempt = 0;
        this.flushQueue();
        this.settleReady.resolve();
        this.events.dispatch('connect', { name: this.currentName, uuid: this.uuid }, (e) => this.logger.error(e));
        return;
      case MessageKind.Error: {
        const error = IpcError.fromWire(message.error);
        if (message.fatal && FATAL_REFUSALS.has(error.code)) this.refuse(error);
        else this.reportError(error);
        return;
      }
      case MessageKind.Response:
        if (message.error) this.pending.reject(message.id, IpcError.fromWire(message.error));
        else this.pending.resolve(message.id, message.data);
        return;
      case MessageKind.Request:
        void this.answer(message);
        return;
      case MessageKind.Cancel:
        this.calls.cancel(String(message.id), new IpcError(ErrorCode.CANCELLED, 'the requester cancelled'));
        return;
      case MessageKind.Emit:
      case MessageKind.Broadcast: {
        const handled = this.calls.event(message.cmd, this.containerFields(message.from, message.fromUuid, message.data), (error) => this.reportError(error));
        if (!handled && this.verbose) this.logger.debug(`[ipcio ${this.currentName}] no handler for ${message.kind} "${message.cmd}"`);
        return;
      }
      default:
        port.close(new IpcError(ErrorCode.BAD_MESSAGE, `unexpected ${message.kind} from the server`));
    }
  }

  private async answer(message: RequestMessage): Promise<void> {
    const fields = this.containerFields(message.from, message.fromUuid, message.data);
    let response: Message;
    try {
      const data = await this.calls.request(String(message.id), '', message.cmd, fields);
      response = { kind: MessageKind.Response, id: message.id, data };
    } catch (error) {
      response = { kind: MessageKind.Response, id: message.id, error: (error as IpcError).toWire() };
    }
    if (!this.online) return; // the requester already got DISCONNECTED from the server
    try {
      this.port?.send(response);
      traceMessage(this.logger, this.verbose, this.currentName, '->', this.serverName, response);
    } catch (error) {
      // Closed under us (its close event not seen yet): the server answers the requester DISCONNECTED.
      if (error instanceof IpcError && error.code === ErrorCode.CLOSED) return;
      // The result could not be sent (too large, say): the requester still gets an answer.
      const failure = error instanceof IpcError ? error : new IpcError(ErrorCode.BAD_MESSAGE, String(error));
      try {
        this.port?.send({ kind: MessageKind.Response, id: message.id, error: failure.toWire() });
      } catch {
        // The connection went away meanwhile; the same DISCONNECTED applies.
      }
    }
  }

  private containerFields(from: string | undefined, fromUuid: string | undefined, data: unknown) {
    return { data, client_name: from ?? this.serverName, uuid: fromUuid ?? '', socket: this.port?.socket ?? null, server: null };
  }

  /** NAME_TAKEN, AUTH_FAILED, PROTOCOL_VERSION, an unsafe socket directory: retrying cannot help, so stop for good. */
  private refuse(error: IpcError): void {
    this.refused = error;
    this.settleReady.reject(error);
    this.reportError(error);
    this.failQueue(error);
    this.pending.rejectWhere(error);
    this.port?.close();
  }

  private onPortClosed(port: Port, reason?: IpcError): void {
    if (port !== this.port) return;
    clearTimeout(this.handshakeTimer);
    const wasOnline = this.online;
    this.online = false;
    this.port = undefined;
    const error = new IpcError(ErrorCode.DISCONNECTED, `connection to the server was lost${reason ? `: ${reason.message}` : ''}`);
    this.pending.rejectWhere(error, (request) => request.sent);
    this.calls.cancelAll(error);
    if (reason && reason.code !== ErrorCode.DISCONNECTED) this.reportError(reason);
    if (wasOnline) this.events.dispatch('disconnect', { name: this.currentName, reason }, (e) => this.logger.error(e));
    this.scheduleReconnect(error);
  }
}
