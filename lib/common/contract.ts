/**
 * Typed contracts: one definition of every command's payload and result,
 * shared by main, preload, renderer and Node helpers. Server and client types
 * are derived from it, so a wrong command name, payload or result use is a
 * compile error and results are inferred.
 *
 *   const app = defineContract<{
 *     server: { log: Command<string> };
 *     clients: { hasher: { hash: Command<{ path: string }, string> } };
 *     broadcasts: { load: { cpu: number } };
 *   }>();
 */

import type { StreamOptions } from './streams/stream-consumer.js';

/** One command: what its caller sends and what its handler returns. */
export interface Command<Payload = undefined, Result = void> {
  readonly payload: Payload;
  readonly result: Result;
}

/**
 * One stream: what its caller sends, and the type of each item. Its handler is
 * an async generator (or returns any async iterable) of `Item`s; the caller
 * gets an AsyncIterable of them. It sits in the same maps as commands:
 *
 *   clients: { sensor: { samples: Stream<{ everyMs: number }, { cpu: number }> } }
 */
export interface Stream<Payload = undefined, Item = unknown> extends Command<Payload, AsyncIterable<Item> | Iterable<Item>> {
  /** Marks the entry as a stream and carries the item type; never present at run time. */
  readonly item: Item;
}

// `any` here is the point: a map that accepts every command name and payload.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandMap = Record<string, Command<any, any>>;

export interface Contract {
  /** Commands the server (the main process) handles. */
  server: CommandMap;
  /** For each client name, the commands that client handles. */
  clients: Record<string, CommandMap>;
  /** Broadcast command names and their payloads. */
  broadcasts: Record<string, unknown>;
}

/** The contract of untyped use, as in the seed library: every name, any data. */
export interface AnyContract extends Contract {
  server: CommandMap;
  clients: Record<string, CommandMap>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  broadcasts: Record<string, any>;
}

/** A contract as a value, so it can be passed (and its type inferred) where a type argument would be repeated. */
export interface ContractRef<C extends Contract> {
  readonly __contract?: C;
}

export function defineContract<C extends Contract>(): ContractRef<C> {
  return Object.freeze({});
}

/** What handlers receive: the seed's container plus command, uuid and a cancellation signal. */
export interface HandlerContainer<Data = unknown> {
  data: Data;
  /** Name of the peer that sent the message (the server's `name` for the server). */
  client_name: string;
  command: string;
  /** The sender's connection id (UUIDv4 without dashes). */
  uuid: string;
  /**
   * Fires when the requester cancels, times out or disconnects. A getter made
   * on first read (an AbortController per message is costly), so a spread
   * `{ ...container }` does not copy it; destructuring does.
   */
  readonly signal: AbortSignal;
  /** The seed's net.Socket of the connection, or null for peers that are not sockets. */
  socket: unknown;
  /** The seed's net.Server on the server side; null on clients. */
  server: unknown;
}

export type Handler<Cmd extends Command<unknown, unknown>> = (
  container: HandlerContainer<Cmd['payload']>,
) => Cmd['result'] | Promise<Cmd['result']>;

/** A broadcast handler's return value is ignored. */
export type BroadcastHandler<Payload> = (container: HandlerContainer<Payload>) => unknown;

/** Handlers for the commands of one map; each optional, since they may be added later. */
export type HandlerCollection<M extends CommandMap> = { [K in keyof M]?: Handler<M[K]> };

export type BroadcastHandlers<B extends Record<string, unknown>> = { [K in keyof B]?: BroadcastHandler<B[K]> };

/** The commands client `Name` handles, or none when the contract does not name it. */
export type ClientCommands<C extends Contract, Name extends string> = Name extends keyof C['clients']
  ? C['clients'][Name]
  : Record<never, never>;

/** A payload may be left out when the command's payload admits undefined. */
export type PayloadArgs<Payload, Options> = undefined extends Payload
  ? [data?: Payload, options?: Options]
  : [data: Payload, options?: Options];

export type PayloadOnlyArgs<Payload> = undefined extends Payload ? [data?: Payload] : [data: Payload];

export type PayloadOf<M extends CommandMap, K extends keyof M> = M[K]['payload'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStream = Stream<any, any>;

/** The names in `M` that are streams: what `stream()` accepts (any name in untyped use). */
export type StreamKeys<M extends CommandMap> = string extends keyof M ? string : { [K in keyof M]: M[K] extends AnyStream ? K : never }[keyof M] & string;

/** The names in `M` that are plain commands: what `request()` and `emit()` should accept once streams are wired. */
export type CommandKeys<M extends CommandMap> = string extends keyof M ? string : { [K in keyof M]: M[K] extends AnyStream ? never : K }[keyof M] & string;

/** The item type of stream `K`; `unknown` in untyped use. */
export type ItemOf<M extends CommandMap, K extends keyof M> = M[K] extends { readonly item: infer Item } ? Item : unknown;

/** Options of a stream call; `window` and `idleTimeoutMs` are documented on {@link StreamOptions}. */
export type StreamCallOptions = StreamOptions;

/**
 * The typed form of `stream()` on a map of commands: a wrong name, a plain
 * command, or a wrong payload is a compile error, and items are typed.
 * ClientEndpoint and the server use it for `stream` / `streamFrom`.
 */
export type StreamCall<M extends CommandMap> = <K extends StreamKeys<M>>(
  command: K,
  ...[data, options]: PayloadArgs<M[K]['payload'], StreamCallOptions>
) => AsyncIterableIterator<ItemOf<M, K>>;

/** A stream handler: the usual container, returning an async iterable (an async generator) of items. */
export type StreamHandler<S extends AnyStream> = (
  container: HandlerContainer<S['payload']>,
) => AsyncIterable<S['item']> | Iterable<S['item']> | Promise<AsyncIterable<S['item']> | Iterable<S['item']>>;
export type ResultOf<M extends CommandMap, K extends keyof M> = Awaited<M[K]['result']>;

export interface RequestOptions {
  /** Milliseconds from the call (queued or not) until TIMEOUT; 0 for none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What `discover()` answers. */
export interface Discovery {
  /** Every connected client name, the caller included. */
  clients: string[];
  /** The server's command names. */
  commands: string[];
  /** For each client, the command names it handles. */
  peers: Record<string, string[]>;
}
