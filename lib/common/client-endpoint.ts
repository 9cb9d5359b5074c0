import { waitForPeerVia, type PeerWaitOptions } from './peer-wait.js';
import { ClientTokenProof } from './token-proof.js';
import { checkCommandList } from './names.js';
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
  ItemOf,
  StreamCallOptions,
  StreamKeys,
} from './contract.js';
import { OnlineWaiters } from './online-waiters.js';
import type { StreamConsumer } from './streams/stream-consumer.js';
import { failedStream } from './streams/pulled-streams.js';
import { ErrorCode, IpcError } from './errors.js';
import { DEFAULT_QUEUE_LIMIT, OfflineQueue, type QueueLimit, type QueuedMessage } from './offline-queue.js';
import { EventDispatcher } from './event-dispatcher.js';
import { Connection, type ConnectionOwner } from './client-connection.js';
import { HandlerRegistry } from './handler-registry.js';
import type { Logger } from './logger.js';
import { traceMessage } from './logger.js';
import { logSafe } from './log-text.js';
import { clampTimerDelayMs } from './long-timer.js';
import { canRetryAfter, DISCOVER_COMMAND, isStreamMessage, MessageKind, PROTOCOL_VERSION, ProtocolFeature, SUPPORTED_FEATURES, type HelloMessage, type Message, type RequestMessage } from './messages.js';
import { PROTOCOL } from './protocol.js';
import { PendingRequests, type PendingRequest } from './pending-requests.js';
import type { Port } from './port.js';

export const DEFAULT_REQUEST_TIMEOUT_MS: number = PROTOCOL.defaults.requestTimeoutMs;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS: number = PROTOCOL.defaults.handshakeTimeoutMs;

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

/**
 * Where a client is in its life. Exactly one value at a time; every public
 * entry checks it. `stopped` is terminal.
 */
export type ClientState =
  | { phase: 'idle' }
  | { phase: 'connecting'; attempt: number }
  | { phase: 'handshaking'; attempt: number; connection: Connection }
  | { phase: 'online'; connection: Connection }
  | { phase: 'waiting'; attempt: number; timer: ReturnType<typeof setTimeout> }
  | { phase: 'stopped'; reason: IpcError };

export type ClientPhase = ClientState['phase'];

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
  private state: ClientState = { phase: 'idle' };
  private readonly queue: OfflineQueue;
  private readonly registry = new HandlerRegistry();
  private readonly pending: PendingRequests;
  private readonly events = new EventDispatcher<ClientEvents>();
  private readonly reconnectOptions: ReconnectOptions | false;
  private readonly handshakeTimeoutMs: number;
  private readonly token: string | undefined;
  private readonly maxFrameSize: number | undefined;
  /** Streams opened while offline, waiting for the next welcome. */
  private readonly onlineWaiters: OnlineWaiters<Connection>;
  protected readonly logger: Logger;
  private settleReady!: { resolve: () => void; reject: (error: IpcError) => void };
  private readonly owner: ConnectionOwner = {
    onMessage: (connection, message) => this.onMessage(connection, message),
    onClosed: (connection, reason) => this.onConnectionClosed(connection, reason),
    traceSent: (message) => traceMessage(this.logger, this.verbose, this.currentName, '->', this.serverName, message),
  };
  /** Settles at the first successful handshake; rejects with the reason when the client stops first. */
  readonly ready: Promise<void>;

  constructor(
    private readonly openPort: () => Promise<Port>,
    options: ClientEndpointOptions<C, N> = {},
    // NoInfer: the contract type comes from `options.contract`, never guessed from the handlers.
    handlers?: NoInfer<ClientHandlers<C, N>>,
  ) {
    this.currentName = options.name ?? newId();
    this.verbose = options.verbose ?? false;
    // An empty token is no token (it proves nothing), as on the server.
    this.token = options.token === '' ? undefined : options.token;
    this.maxFrameSize = options.maxFrameSize;
    this.logger = options.logger ?? console;
    this.handshakeTimeoutMs = clampTimerDelayMs(options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    this.reconnectOptions = options.reconnect === false ? false : { ...DEFAULT_RECONNECT, ...options.reconnect };
    const limit = options.queueLimit;
    this.queue = new OfflineQueue(typeof limit === 'number' ? { ...DEFAULT_QUEUE_LIMIT, messages: limit } : { ...DEFAULT_QUEUE_LIMIT, ...limit });
    this.pending = new PendingRequests(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, (request) => this.onGiveUp(request));
    this.onlineWaiters = new OnlineWaiters(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    // Awaiting `ready` is optional; its rejection is also reported on the error event.
    this.ready.catch(() => undefined);
    this.addCheckedHandlers(handlers);
  }

  get name(): string {
    return this.currentName;
  }

  get connected(): boolean {
    return this.state.phase === 'online';
  }

  /** Where the client is: idle, connecting, handshaking, online, waiting (to reconnect) or stopped. */
  get phase(): ClientPhase {
    return this.state.phase;
  }

  /** The current connection attempt (while handshaking or online): its port, its handler calls. */
  get connection(): Connection | undefined {
    return this.state.phase === 'handshaking' || this.state.phase === 'online' ? this.state.connection : undefined;
  }

  /** Why the client stopped, once it has. */
  get stoppedReason(): IpcError | undefined {
    return this.state.phase === 'stopped' ? this.state.reason : undefined;
  }

  /** Starts connecting (and reconnecting); returns this, as in the seed. */
  connect(): this {
    if (this.state.phase === 'stopped') throw new IpcError(this.state.reason.code, `client "${this.currentName}" has stopped: ${this.state.reason.message}`);
    if (this.state.phase !== 'idle') throw new IpcError(ErrorCode.ALREADY_STARTED, `client "${this.currentName}" is already connecting`);
    void this.openConnection(0);
    return this;
  }

  addHandlers(handlers: ClientHandlers<C, N>): this {
    this.addCheckedHandlers(handlers);
    this.announceCommands();
    return this;
  }

  /** Removes the handler for `command` (the renderer API's unsubscribe needs it) and tells the server. */
  removeHandler(command: string): this {
    if (this.registry.remove(command)) this.announceCommands();
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

  /**
   * Opens a stream from the server's stream handler: `for await (const item of client.stream('tail', data))`.
   * Breaking out cancels it (the producer's `finally` runs); the producer's error, DISCONNECTED when the
   * connection drops and UNSUPPORTED from an older server are thrown from the loop. Offline, the stream
   * opens on the next connection (bounded by `requestTimeoutMs` and the signal); it never moves to another one.
   */
  stream<K extends StreamKeys<C['server']>>(
    command: K,
    ...[data, options]: PayloadArgs<C['server'][K]['payload'], StreamCallOptions>
  ): AsyncIterableIterator<ItemOf<C['server'], K>, undefined> {
    return this.openStream(command, data, undefined, options);
  }

  /** Opens a stream from another client's stream handler, through the server (credit is forwarded; the server buffers nothing). */
  streamFrom<T extends keyof C['clients'] & string, K extends StreamKeys<C['clients'][T]>>(
    clientName: T,
    command: K,
    ...[data, options]: PayloadArgs<C['clients'][T][K]['payload'], StreamCallOptions>
  ): AsyncIterableIterator<ItemOf<C['clients'][T], K>, undefined> {
    return this.openStream(command, data, clientName, options);
  }

  /** Every connected client, the server's commands and each client's commands. */
  discover(options?: RequestOptions): Promise<Discovery> {
    return this.makeRequest(DISCOVER_COMMAND, undefined, undefined, options) as Promise<Discovery>;
  }

  /** Resolves once a peer called `name` is connected to the server (at once if it is); TIMEOUT after `timeoutMs`. */
  waitForPeer(name: string, options?: PeerWaitOptions): Promise<void> {
    return waitForPeerVia((command, data, requestOptions) => this.makeRequest(command, data, undefined, requestOptions), name, options);
  }

  /** Closes the connection for good: the client stops with CLOSED; pending requests reject with it. */
  close(): Promise<void> {
    if (this.state.phase === 'stopped') return Promise.resolve();
    this.stop(new IpcError(ErrorCode.CLOSED, `client "${this.currentName}" was closed`), false);
    this.events.clear();
    return Promise.resolve();
  }

  protected reportError(error: IpcError): void {
    if (this.events.hasListeners('error')) {
      this.events.dispatch('error', error, (thrown) => this.logger.error('[ipcio] error listener threw', thrown));
    } else {
      this.logger.error(`[ipcio ${this.currentName}] ${error.code}: ${logSafe(error.message)}`);
    }
  }

  /** Refuses, locally and before adding any, handlers that would make the announced list exceed the protocol's bounds. */
  private addCheckedHandlers(handlers: object | undefined): void {
    if (handlers !== undefined && handlers !== null && typeof handlers === 'object') {
      const adding = Object.entries(handlers).filter(([, handler]) => handler !== undefined).map(([command]) => command);
      checkCommandList([...new Set([...this.registry.names(), ...adding])]);
    }
    this.registry.addAll(handlers);
  }

  private openStream<T>(command: string, data: unknown, to: string | undefined, options: StreamCallOptions | undefined): AsyncIterableIterator<T, undefined> {
    const state = this.state;
    const description = `stream "${command}"`;
    const open = (connection: Connection): StreamConsumer<T> => {
      // A connection is online only after its welcome, which made its stream endpoint.
      const streams = connection.streams!;
      return streams.open<T>(command, data, to === undefined ? { ...options } : { ...options, to });
    };
    if (state.phase === 'online') return open(state.connection);
    if (state.phase === 'stopped') return failedStream(stoppedError(state.reason, description));
    const waiters = this.onlineWaiters;
    // Offline: the first next() waits for a connection, then the stream lives and ends on that one.
    return (async function* offlineStream(): AsyncGenerator<T, undefined> {
      const consumer = open(await waiters.wait(description, options?.signal));
      yield* consumer;
      return undefined;
    })() as AsyncIterableIterator<T, undefined>;
  }

  private announceCommands(): void {
    if (this.state.phase === 'online') this.sendNow(this.state.connection, { kind: MessageKind.Commands, commands: this.registry.names() });
  }

  private makeRequest(command: string, data: unknown, to: string | undefined, options: RequestOptions | undefined): Promise<unknown> {
    const description = to === undefined ? `request "${command}"` : `request "${command}" to "${to}"`;
    if (this.state.phase === 'stopped') return Promise.reject(stoppedError(this.state.reason, description));
    const { request, promise } = this.pending.create(description, options);
    if (this.pending.get(request.id) === undefined) return promise; // the signal was already aborted
    const message: RequestMessage = { kind: MessageKind.Request, id: request.id, cmd: command, data };
    if (to !== undefined) message.to = to;
    this.submit(message, request);
    return promise;
  }

  /** Sends now when online with nothing queued ahead; otherwise queues, refusing past the limit. */
  private submit(message: Message, request?: PendingRequest): void {
    if (this.state.phase === 'stopped') {
      this.reportOrReject(stoppedError(this.state.reason, `${message.kind} "${(message as { cmd?: string }).cmd}"`), request);
      return;
    }
    // write() is false when the port closed under us (its close is not seen yet): queue it then.
    if (this.state.phase === 'online' && this.queue.length === 0 && this.write(this.state.connection, { message, size: 0, request })) return;
    const full = this.queue.push(message, request);
    if (full) this.reportOrReject(full, request);
  }

  /** Hands one message to the connection. False when it turned out closed (the message must stay queued). */
  private write(connection: Connection, entry: QueuedMessage): boolean {
    try {
      if (!connection.send(entry.message)) return false;
    } catch (error) {
      this.reportOrReject(error as IpcError, entry.request);
      return true;
    }
    if (entry.request) entry.request.sent = true;
    return true;
  }

  private sendNow(connection: Connection, message: Message): void {
    this.write(connection, { message, size: 0 });
  }

  /** Fails everything queued: requests reject with `error`, dropped one-way messages are reported, never kept. */
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
    // A sent request is pending only while the connection it went out on is online (a drop rejects it).
    if (this.state.phase === 'online') this.sendNow(this.state.connection, { kind: MessageKind.Cancel, id: request.id });
  }

  private reportOrReject(error: IpcError, request?: PendingRequest): void {
    if (request) this.pending.reject(request.id, error);
    else this.reportError(error);
  }

  private async openConnection(attempt: number): Promise<void> {
    const connecting: ClientState = { phase: 'connecting', attempt };
    this.state = connecting;
    let port: Port;
    try {
      port = await this.openPort();
    } catch (error) {
      if (this.state !== connecting) return;
      const failure = error instanceof IpcError ? error : new IpcError(ErrorCode.DISCONNECTED, (error as Error).message);
      // Found before connecting (an unsafe socket directory, say): retrying cannot help.
      if (!canRetryAfter(failure.code)) {
        this.stop(failure, true);
        return;
      }
      if (this.verbose) this.logger.debug(`[ipcio ${this.currentName}] connect failed: ${failure.message}`);
      this.retryOrStop(attempt, failure);
      return;
    }
    if (this.state !== connecting) {
      port.close();
      return;
    }
    const connection = new Connection(port, this.registry, this.owner);
    this.state = { phase: 'handshaking', attempt, connection };
    const hello: HelloMessage = { kind: MessageKind.Hello, version: PROTOCOL_VERSION, name: this.currentName, commands: this.registry.names() };
    if (this.token !== undefined) {
      // The token itself never crosses the wire: a nonce goes out, and each side proves the token over both nonces.
      try {
        connection.tokenProof = new ClientTokenProof(this.token);
      } catch (error) {
        this.stop(error as IpcError, true);
        return;
      }
      hello.nonce = connection.tokenProof.nonce;
    }
    hello.features = [...SUPPORTED_FEATURES];
    if (this.session !== undefined) hello.session = this.session;
    if (this.maxFrameSize !== undefined) hello.maxFrameSize = this.maxFrameSize;
    connection.start(hello, this.handshakeTimeoutMs);
  }

  /** After a failed attempt or a drop: wait and try again, or stop when reconnecting is off. */
  private retryOrStop(attempt: number, reason: IpcError): void {
    if (this.reconnectOptions === false) {
      this.stop(reason, true);
      return;
    }
    const delayMs = backoffDelayMs(attempt, this.reconnectOptions);
    const timer = setTimeout(() => {
      if (this.state.phase === 'waiting' && this.state.timer === timer) void this.openConnection(attempt + 1);
    }, delayMs);
    this.state = { phase: 'waiting', attempt: attempt + 1, timer };
  }

  /**
   * The terminal state: `ready` rejects with `reason`, queued messages fail with it, pending requests
   * reject with it, the connection closes, and every later call fails at once with its code.
   */
  private stop(reason: IpcError, report: boolean): void {
    const previous = this.state;
    if (previous.phase === 'stopped') return;
    this.state = { phase: 'stopped', reason };
    if (previous.phase === 'waiting') clearTimeout(previous.timer);
    if (previous.phase === 'handshaking' || previous.phase === 'online') {
      previous.connection.streams?.dispose(reason);
      previous.connection.close();
    }
    this.onlineWaiters.rejectAll(reason);
    this.settleReady.reject(reason);
    if (report) this.reportError(reason);
    this.failQueue(reason);
    this.pending.rejectWhere(reason);
    if (previous.phase === 'online') this.events.dispatch('disconnect', { name: this.currentName, reason }, (e) => this.logger.error(e));
  }

  private onMessage(connection: Connection, message: Message): void {
    const state = this.state;
    if ((state.phase !== 'handshaking' && state.phase !== 'online') || state.connection !== connection) return;
    traceMessage(this.logger, this.verbose, this.currentName, '<-', this.serverName, message);
    if (isStreamMessage(message) && state.phase === 'online') {
      const streams = connection.streams!;
      if (message.kind !== MessageKind.StreamOpen) streams.receive(message);
      else streams.serve(message, this.registry.get(message.cmd), this.containerFields(connection, message.from, message.fromUuid, undefined));
      return;
    }
    switch (message.kind) {
      case MessageKind.Challenge: {
        const proof = connection.tokenProof;
        if (state.phase !== 'handshaking' || !proof) break;
        proof.answer(message).then(
          (answer) => {
            if (this.state === state) connection.send({ kind: MessageKind.Proof, proof: answer });
          },
          (error: unknown) => {
            if (this.state === state) this.stop(error instanceof IpcError ? error : new IpcError(ErrorCode.SERVER_AUTH_FAILED, String(error)), true);
          },
        );
        return;
      }
      case MessageKind.Welcome:
        if (state.phase !== 'handshaking') break;
        try {
          connection.tokenProof?.checkWelcome();
        } catch (error) {
          this.stop(error as IpcError, true);
          return;
        }
        connection.welcomed(message.maxFrameSize, message.serverName, message.features?.includes(ProtocolFeature.Streams) ?? false);
        this.currentName = message.name;
        this.uuid = message.uuid;
        this.session = message.session;
        this.serverName = message.serverName;
        this.state = { phase: 'online', connection };
        this.queue.drain((entry) => this.state.phase === 'online' && this.state.connection === connection && this.write(connection, entry));
        this.settleReady.resolve();
        this.onlineWaiters.resolveAll(connection);
        this.events.dispatch('connect', { name: this.currentName, uuid: this.uuid }, (e) => this.logger.error(e));
        return;
      case MessageKind.Error: {
        const error = IpcError.fromWire(message.error);
        // The server says whether connecting again can succeed; without a `retry` field the shared table decides.
        if (message.fatal && !(message.retry ?? canRetryAfter(error.code))) this.stop(error, true);
        else this.reportError(error);
        return;
      }
      case MessageKind.Response:
        if (state.phase !== 'online') break;
        if (message.error) this.pending.reject(message.id, IpcError.fromWire(message.error));
        else this.pending.resolve(message.id, message.data);
        return;
      case MessageKind.Request:
        if (state.phase !== 'online') break;
        connection.answer(message, this.containerFields(connection, message.from, message.fromUuid, message.data));
        return;
      case MessageKind.Cancel:
        connection.calls.cancel(message.id, new IpcError(ErrorCode.CANCELLED, 'the requester cancelled'));
        return;
      case MessageKind.Emit:
      case MessageKind.Broadcast: {
        if (state.phase !== 'online') break;
        const fields = this.containerFields(connection, message.from, message.fromUuid, message.data);
        const handled = connection.calls.event(message.cmd, fields, (error) => this.reportError(error));
        if (!handled && this.verbose) this.logger.debug(`[ipcio ${this.currentName}] no handler for ${message.kind} "${message.cmd}"`);
        return;
      }
      default:
        break;
    }
    connection.close(new IpcError(ErrorCode.BAD_MESSAGE, `unexpected ${message.kind} from the server while ${state.phase}`));
  }

  private containerFields(connection: Connection, from: string | undefined, fromUuid: string | undefined, data: unknown) {
    return { data, client_name: from ?? this.serverName, uuid: fromUuid ?? '', socket: connection.port.socket ?? null, server: null };
  }

  private onConnectionClosed(connection: Connection, reason?: IpcError): void {
    const state = this.state;
    if ((state.phase !== 'handshaking' && state.phase !== 'online') || state.connection !== connection) return;
    const error = new IpcError(ErrorCode.DISCONNECTED, `connection to the server was lost${reason ? `: ${reason.message}` : ''}`);
    this.pending.rejectWhere(error, (request) => request.sent);
    if (reason && reason.code !== ErrorCode.DISCONNECTED) this.reportError(reason);
    if (state.phase === 'online') this.events.dispatch('disconnect', { name: this.currentName, reason }, (e) => this.logger.error(e));
    if (this.state !== state) return; // a listener closed the client
    this.retryOrStop(state.phase === 'online' ? 0 : state.attempt, error);
  }
}

/** The error a call gets once the client has stopped: the stop's own code. */
function stoppedError(reason: IpcError, what: string): IpcError {
  return new IpcError(reason.code, `${what}: the client has stopped (${reason.message})`);
}
