import type { ClientEndpoint } from './client-endpoint.js';
import type {
  AnyContract,
  ClientCommands,
  CommandMap,
  Contract,
  Discovery,
  HandlerContainer,
  PayloadArgs,
  PayloadOnlyArgs,
  ResultOf,
} from './contract.js';
import { ErrorCode, IpcError } from './errors.js';
import { PulledStreams } from './streams/pulled-streams.js';

/** Streams one page may hold open at once before TOO_MANY_STREAMS. */
export const DEFAULT_PAGE_MAX_STREAMS = 64;

/**
 * The one object a page gets (as `window.ipcio`): plain functions and plain
 * data only, because contextBridge copies everything else. The preload
 * exposes it; browser mode hands the same object to the page over a
 * WebSocket endpoint.
 *
 * Errors: contextBridge keeps only the `message` of an Error, so every
 * rejection is an Error whose message starts with its code,
 * `"TIMEOUT: request \"hash\" timed out after 100 ms"`, or, for a handler's
 * own code, `"HANDLER_ERROR(E_NOT_FOUND): no such file"`. {@link parseBridgeError}
 * reads it back. Where no bridge is in between (browser mode) the Error also
 * has `code` and `remoteCode` properties.
 */

/** What `on` listeners and `handle` handlers receive: no sockets, no event objects. */
export interface BridgeEvent<Data> {
  data: Data;
  /** The sender's name (the server's name for main). */
  from: string;
  command: string;
}

/**
 * An AbortSignal cannot cross contextBridge (it arrives as an empty object),
 * but functions can: `bridgeSignal(signal)` from `ipcio/renderer` wraps one
 * in this shape. A real AbortSignal works where no bridge is in between.
 */
export interface BridgedSignal {
  readonly aborted: boolean;
  /** Calls `listener` once on abort; returns a function that stops listening. */
  onAbort(listener: () => void): () => void;
}

export interface BridgeRequestOptions {
  /** Milliseconds from the call until TIMEOUT; 0 for none. */
  timeoutMs?: number;
  signal?: AbortSignal | BridgedSignal;
}

/** Options of a page's stream; the AbortSignal stays on the page side (`stream()` in ipcio/renderer). */
export interface BridgeStreamOptions {
  /** Items on their way or unread at once, 1 to 1024 (default 16). */
  window?: number;
  /** Milliseconds the producer may go without sending an item while it holds credit; then TIMEOUT. */
  idleTimeoutMs?: number;
}

/** One step of a stream as it crosses the bridge: plain data. */
export interface BridgeStreamStep {
  done: boolean;
  value?: unknown;
}

type Unsubscribe = () => void;
/** The commands this window handles (none when the contract does not name it). */
type Own<C extends Contract, N extends string> = ClientCommands<C, N> extends infer M extends CommandMap ? M : never;
type Listenable<C extends Contract, N extends string> = { [K in keyof Own<C, N>]: Own<C, N>[K]['payload'] } & C['broadcasts'];

/** The page's view of one named client, derived from the app's contract. */
export interface RendererApi<C extends Contract = AnyContract, N extends string = string> {
  emit<K extends keyof C['server'] & string>(command: K, ...[data]: PayloadOnlyArgs<C['server'][K]['payload']>): void;
  request<K extends keyof C['server'] & string>(
    command: K,
    ...[data, options]: PayloadArgs<C['server'][K]['payload'], BridgeRequestOptions>
  ): Promise<ResultOf<C['server'], K>>;
  emitTo<T extends keyof C['clients'] & string, K extends keyof C['clients'][T] & string>(
    clientName: T,
    command: K,
    ...[data]: PayloadOnlyArgs<C['clients'][T][K]['payload']>
  ): void;
  requestFrom<T extends keyof C['clients'] & string, K extends keyof C['clients'][T] & string>(
    clientName: T,
    command: K,
    ...[data, options]: PayloadArgs<C['clients'][T][K]['payload'], BridgeRequestOptions>
  ): Promise<ResultOf<C['clients'][T], K>>;
  broadcast<K extends keyof C['broadcasts'] & string>(command: K, ...[data]: PayloadOnlyArgs<C['broadcasts'][K]>): void;
  discover(options?: BridgeRequestOptions): Promise<Discovery>;
  /** Resolves once a peer called `name` is connected (at once if it is); TIMEOUT after `timeoutMs` (default 30000). */
  waitForPeer(name: (keyof C['clients'] & string) | (string & {}), options?: BridgeRequestOptions): Promise<void>;
  /** Listens to emits of this window's own commands and to broadcasts; any number of listeners per command. */
  on<K extends keyof Listenable<C, N> & string>(command: K, listener: (event: BridgeEvent<Listenable<C, N>[K]>) => void): Unsubscribe;
  /**
   * The stream primitives, plain functions so they cross contextBridge: open (a handle), pull the next
   * step, cancel. Use `stream()` / `streamFrom()` from ipcio/renderer (or ipcio/browser), which wrap
   * them into an AsyncIterable for `for await`.
   */
  streamOpen(to: string | null, command: string, data?: unknown, options?: BridgeStreamOptions): number;
  streamPull(handle: number): Promise<BridgeStreamStep>;
  streamCancel(handle: number): Promise<void>;
  /** Answers requests main and helpers send this window; one handler per command. */
  handle<K extends keyof Own<C, N> & string>(
    command: K,
    handler: (request: BridgeEvent<Own<C, N>[K]['payload']>) => Own<C, N>[K]['result'] | Promise<Own<C, N>[K]['result']>,
  ): Unsubscribe;
}

type Listener = (event: BridgeEvent<unknown>) => void;

/** The endpoint methods the page API calls: browser mode's connection gate wraps exactly these, and the compiler keeps the two in step. */
export type RendererEndpoint = Pick<
  ClientEndpoint<AnyContract, string>,
  'emit' | 'request' | 'emitTo' | 'requestFrom' | 'broadcast' | 'discover' | 'waitForPeer' | 'stream' | 'streamFrom' | 'addHandlers' | 'removeHandler'
>;

/** Builds the frozen page API over a client endpoint; the endpoint itself never reaches the page. */
export function createRendererApi<C extends Contract = AnyContract, N extends string = string>(
  endpoint: ClientEndpoint<C, N>,
  /** The page's open streams; the preload cancels them all when the page goes (`pagehide`). */
  pulled: PulledStreams = new PulledStreams(DEFAULT_PAGE_MAX_STREAMS),
): RendererApi<C, N> {
  const client = endpoint as unknown as RendererEndpoint;
  const listeners = new Map<string, Set<{ listener: Listener }>>();
  const handled = new Map<string, object>();

  const api = {
    emit: (command: string, data?: unknown): void => guard(() => void client.emit(checkedCommand(command), data)),
    request: (command: string, data?: unknown, options?: BridgeRequestOptions) =>
      settle((o) => client.request(checkedCommand(command), data, o), options),
    emitTo: (to: string, command: string, data?: unknown): void => guard(() => void client.emitTo(checkedName(to), checkedCommand(command), data)),
    requestFrom: (to: string, command: string, data?: unknown, options?: BridgeRequestOptions) =>
      settle((o) => client.requestFrom(checkedName(to), checkedCommand(command), data, o), options),
    broadcast: (command: string, data?: unknown): void => guard(() => void client.broadcast(checkedCommand(command), data)),
    discover: (options?: BridgeRequestOptions) => settle((o) => client.discover(o), options),
    waitForPeer: (name: string, options?: BridgeRequestOptions) => settle((o) => client.waitForPeer(checkedName(name), o), options),

    streamOpen: (to: string | null, command: string, data?: unknown, options?: BridgeStreamOptions): number =>
      guard(() => {
        const streamOptions = checkedStreamOptions(options);
        const opened = to === null || to === undefined ? client.stream(checkedCommand(command), data, streamOptions) : client.streamFrom(checkedName(to), checkedCommand(command), data, streamOptions);
        return pulled.add(opened);
      }),
    streamPull: (handle: number): Promise<BridgeStreamStep> =>
      pulled.pull(handle).catch((error: unknown) => {
        throw toPageError(error);
      }),
    streamCancel: (handle: number): Promise<void> => pulled.cancel(handle).catch(() => undefined),

    on: (command: string, listener: Listener): Unsubscribe =>
      guard(() => {
        checkedCommand(command);
        checkedFunction(listener);
        let set = listeners.get(command);
        if (!set) {
          // One endpoint handler per command fans out to the page's listeners.
          const fresh = new Set<{ listener: Listener }>();
          client.addHandlers({ [command]: (c: HandlerContainer<unknown>) => fanOut(fresh, toEvent(c)) });
          listeners.set(command, (set = fresh));
        }
        // A wrapper per call: the same function added twice is two subscriptions, each removed by its own unsubscribe.
        const entry = { listener };
        set.add(entry);
        const subscribed = set;
        return () => {
          if (!subscribed.delete(entry) || subscribed.size > 0 || listeners.get(command) !== subscribed) return;
          listeners.delete(command);
          client.removeHandler(command);
        };
      }),

    handle: (command: string, handler: (request: BridgeEvent<unknown>) => unknown): Unsubscribe =>
      guard(() => {
        checkedCommand(command);
        checkedFunction(handler);
        const registration = {};
        client.addHandlers({
          [command]: async (c: HandlerContainer<unknown>) => {
            try {
              return await handler(toEvent(c));
            } catch (thrown) {
              throw fromPageError(thrown);
            }
          },
        });
        handled.set(command, registration);
        return () => {
          // A stale unsubscribe must not remove a handler registered again since.
          if (handled.get(command) !== registration) return;
          handled.delete(command);
          client.removeHandler(command);
        };
      }),
  };
  return Object.freeze(api) as unknown as RendererApi<C, N>;
}

/** Reads the code back from an error the page API rejected or threw with. */
export function parseBridgeError(error: unknown): { code: string; remoteCode?: string; message: string } | undefined {
  // An IpcError made on the page's side (a stream's loop, browser mode) carries its code as a property.
  if (error instanceof IpcError) return error.remoteCode === undefined ? { code: error.code, message: error.message } : { code: error.code, remoteCode: error.remoteCode, message: error.message };
  // Duck-typed: an Error from another realm (the page, across contextBridge) fails instanceof.
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : error;
  const text = typeof message === 'string' ? message : undefined;
  const match = text === undefined ? null : /^([A-Z][A-Z0-9_]*)(?:\(([^)]*)\))?: ([\s\S]*)$/.exec(text);
  if (!match) return undefined;
  const parsed: { code: string; remoteCode?: string; message: string } = { code: match[1] as string, message: match[3] as string };
  if (match[2] !== undefined) parsed.remoteCode = match[2];
  return parsed;
}

function toEvent(container: HandlerContainer<unknown>): BridgeEvent<unknown> {
  return { data: container.data, from: container.client_name, command: container.command };
}

/** Every listener runs even if one throws; the first failure is then reported by the endpoint. */
function fanOut(set: Set<{ listener: Listener }>, event: BridgeEvent<unknown>): void {
  let failure: unknown;
  for (const { listener } of [...set]) {
    try {
      listener(event);
    } catch (thrown) {
      failure ??= thrown;
    }
  }
  if (failure !== undefined) throw failure;
}

function settle(call: (options: { timeoutMs?: number; signal?: AbortSignal }) => Promise<unknown>, options: BridgeRequestOptions | undefined): Promise<unknown> {
  let stop: (() => void) | undefined;
  try {
    const { signal, stop: unsubscribe } = localSignal(options?.signal);
    stop = unsubscribe;
    const timeoutMs = options?.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) invalid('timeoutMs must be a number ≥ 0');
    return call({ timeoutMs, signal }).then(
      (value) => {
        stop?.();
        return value;
      },
      (error: unknown) => {
        stop?.();
        throw toPageError(error);
      },
    );
  } catch (error) {
    stop?.();
    return Promise.reject(toPageError(error));
  }
}

/** Turns whatever signal the page passed into one of this realm's AbortSignals. */
function localSignal(signal: AbortSignal | BridgedSignal | undefined): { signal?: AbortSignal; stop?: () => void } {
  if (signal === undefined || signal === null) return {};
  if (typeof (signal as AbortSignal).addEventListener === 'function') return { signal: signal as AbortSignal };
  const bridged = signal as BridgedSignal;
  if (typeof bridged.onAbort !== 'function') {
    invalid('signal has no addEventListener: an AbortSignal does not survive contextBridge, wrap it with bridgeSignal() from ipcio/renderer');
  }
  const controller = new AbortController();
  if (bridged.aborted) controller.abort();
  const stop = controller.signal.aborted ? undefined : bridged.onAbort(() => controller.abort());
  return { signal: controller.signal, stop: typeof stop === 'function' ? stop : undefined };
}

/** Same message format in both directions, so the code survives contextBridge, which keeps only `message`. */
function toPageError(error: unknown): Error {
  const e = error instanceof IpcError ? error : new IpcError(ErrorCode.INVALID_ARGUMENT, error instanceof Error ? error.message : String(error));
  const page = new Error(`${e.code}${e.remoteCode === undefined ? '' : `(${e.remoteCode})`}: ${e.message}`);
  page.name = 'IpcError';
  return Object.assign(page, { code: e.code, remoteCode: e.remoteCode });
}

/** A page handler's `throw new Error("E_NOT_FOUND: ...")` becomes HANDLER_ERROR with remoteCode E_NOT_FOUND. */
function fromPageError(thrown: unknown): unknown {
  if (typeof thrown !== 'object' || thrown === null || (thrown as { code?: unknown }).code !== undefined) return thrown;
  const parsed = parseBridgeError(thrown);
  if (!parsed) return thrown;
  return Object.assign(new Error(parsed.message), { code: parsed.remoteCode ?? parsed.code });
}

function guard<T>(body: () => T): T {
  try {
    return body();
  } catch (error) {
    throw toPageError(error);
  }
}

function checkedCommand(command: unknown): string {
  if (typeof command !== 'string' || command.length === 0) invalid('a command name must be a non-empty string');
  return command as string;
}

function checkedName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) invalid('a client name must be a non-empty string');
  return name as string;
}

function checkedStreamOptions(options: BridgeStreamOptions | undefined): BridgeStreamOptions {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object') invalid('stream options must be an object');
  const checked: BridgeStreamOptions = {};
  if (options.window !== undefined) checked.window = options.window;
  if (options.idleTimeoutMs !== undefined) checked.idleTimeoutMs = options.idleTimeoutMs;
  return checked;
}

function checkedFunction(value: unknown): void {
  if (typeof value !== 'function') invalid('a listener or handler must be a function');
}

function invalid(message: string): never {
  throw new IpcError(ErrorCode.INVALID_ARGUMENT, message);
}
