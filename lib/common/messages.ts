import type { IpcError, WireError } from './errors.js';
import { PROTOCOL } from './protocol.js';

/**
 * Every message kind of protocol version 1. The wire carries the string
 * value; log lines print the same name, so a trace reads like the protocol.
 */
export const MessageKind = {
  /** client → server, first message on a connection. */
  Hello: 'hello',
  /** server → client, answer to a hello when a token is required: its nonce and its proof of the token. */
  Challenge: 'challenge',
  /** client → server, answer to a challenge: the client's proof of the token. */
  Proof: 'proof',
  /** server → client, answer to hello; the connection is usable after it. */
  Welcome: 'welcome',
  /** one-way command; client → server (optionally `to` another client) or server → client. */
  Emit: 'emit',
  /** command that expects a response with the same `id`. */
  Request: 'request',
  /** answer to a request: `data`, or `error`. */
  Response: 'response',
  /** the requester gave up on request `id`; the handler's signal fires. */
  Cancel: 'cancel',
  /** one-way command to every peer but the sender. */
  Broadcast: 'broadcast',
  /** a client's current command names, sent whenever it adds handlers. */
  Commands: 'commands',
  /** an error not tied to a request; `fatal` means the sender closes the connection next. */
  Error: 'error',
  /** consumer → producer: start stream `id` for `cmd`, granting `credit` items. Only to a peer that announced the `streams` feature. */
  StreamOpen: 'stream-open',
  /** producer → consumer: one item of stream `id`; spends one credit. */
  StreamItem: 'stream-item',
  /** consumer → producer: `n` more items may be sent on stream `id`. */
  StreamCredit: 'stream-credit',
  /** producer → consumer: stream `id` is over, with `error` when it failed. Nothing follows. */
  StreamEnd: 'stream-end',
  /** consumer → producer: the consumer stopped reading stream `id`; the producer's signal fires. Nothing follows. */
  StreamCancel: 'stream-cancel',
} as const;

export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

export const PROTOCOL_VERSION: number = PROTOCOL.version;

/**
 * Optional protocol features, announced in `hello.features` and
 * `welcome.features`. A version-1 peer that predates a feature announces
 * nothing and would close the connection on its message kinds (an unknown kind
 * is BAD_MESSAGE), so no peer sends a feature's messages to a peer that did not
 * announce it.
 */
export const ProtocolFeature = {
  /** The five `stream-*` kinds with credit-based flow control. */
  Streams: 'streams',
} as const;

export type ProtocolFeature = (typeof ProtocolFeature)[keyof typeof ProtocolFeature];

/** Features this library speaks; sent in every hello and welcome. */
export const SUPPORTED_FEATURES: readonly ProtocolFeature[] = [ProtocolFeature.Streams];

/** Commands the seed library used internally; a handler may not take them. */
export const RESERVED_COMMANDS: ReadonlySet<string> = new Set(PROTOCOL.commands.reserved);

/** Prefix of ipcio's own built-in commands (`ipcio:discover`). */
export const INTERNAL_COMMAND_PREFIX = PROTOCOL.commands.internalPrefix;
export const DISCOVER_COMMAND = `${INTERNAL_COMMAND_PREFIX}discover`;
/**
 * Request: makes the sender a monitor. The server then emits `ipcio:monitor` to it with
 * `{from, to, kind, cmd, id}` (never the payload) for every message another peer sends.
 */
export const MONITOR_COMMAND = `${INTERNAL_COMMAND_PREFIX}monitor`;

/** Where a binary value sat inside the message, and how many bytes follow for it. */
export interface BinaryPart {
  path: (string | number)[];
  length: number;
}

interface Envelope {
  /** Present only on the socket framing: binary values cut out of the JSON. */
  bin?: BinaryPart[];
}

export interface HelloMessage extends Envelope {
  kind: typeof MessageKind.Hello;
  version: number;
  name?: string;
  /** The client's nonce (64 hex digits) when it holds a token: the server must prove the token over it. */
  nonce?: string;
  /** Never sent by this version: the token does not cross the wire. A hello carrying one is refused. */
  token?: string;
  /** The session id from an earlier welcome: lets a reconnecting client take its own name back. */
  session?: string;
  commands?: string[];
  /** Largest frame this client accepts; the server answers with an error rather than send more. */
  maxFrameSize?: number;
  /** Optional protocol features this client speaks ({@link ProtocolFeature}); absent on older clients. */
  features?: string[];
}

export interface ChallengeMessage extends Envelope {
  kind: typeof MessageKind.Challenge;
  /** The server's nonce (64 hex digits). */
  nonce: string;
  /** HMAC-SHA256(token, "ipcio-server-proof\n" + client nonce + "\n" + server nonce), 64 hex digits. */
  proof: string;
}

export interface ProofMessage extends Envelope {
  kind: typeof MessageKind.Proof;
  /** HMAC-SHA256(token, "ipcio-client-proof\n" + client nonce + "\n" + server nonce), 64 hex digits. */
  proof: string;
}

export interface WelcomeMessage extends Envelope {
  kind: typeof MessageKind.Welcome;
  version: number;
  name: string;
  uuid: string;
  session: string;
  serverName: string;
  maxFrameSize: number;
  /** Optional protocol features the server speaks; absent on older servers. */
  features?: string[];
}

/** Routing fields the server fills in when it forwards: who sent it. */
interface Routed {
  /** Target client name; absent means the server itself. */
  to?: string;
  from?: string;
  fromUuid?: string;
}

export interface EmitMessage extends Envelope, Routed {
  kind: typeof MessageKind.Emit;
  cmd: string;
  data?: unknown;
}

export interface RequestMessage extends Envelope, Routed {
  kind: typeof MessageKind.Request;
  id: number;
  cmd: string;
  data?: unknown;
}

export interface ResponseMessage extends Envelope {
  kind: typeof MessageKind.Response;
  id: number;
  data?: unknown;
  error?: WireError;
}

export interface CancelMessage extends Envelope {
  kind: typeof MessageKind.Cancel;
  id: number;
}

export interface BroadcastMessage extends Envelope, Routed {
  kind: typeof MessageKind.Broadcast;
  cmd: string;
  data?: unknown;
}

export interface CommandsMessage extends Envelope {
  kind: typeof MessageKind.Commands;
  commands: string[];
}

export interface ErrorMessage extends Envelope {
  kind: typeof MessageKind.Error;
  error: WireError;
  fatal?: boolean;
  /** With `fatal`: whether connecting again can succeed. False means the client stops for good. */
  retry?: boolean;
}

const STOP_CODES: ReadonlySet<string> = new Set(PROTOCOL.stopCodes);

/** Whether reconnecting after a fatal error with this code can succeed (the default when `retry` is absent). */
export function canRetryAfter(code: string): boolean {
  return !STOP_CODES.has(code);
}

/** The fatal error a side sends just before it closes the connection, saying whether a retry can succeed. */
export function fatalErrorMessage(error: IpcError): ErrorMessage {
  return { kind: MessageKind.Error, error: error.toWire(), fatal: true, retry: canRetryAfter(error.code) };
}

export interface StreamOpenMessage extends Envelope, Routed {
  kind: typeof MessageKind.StreamOpen;
  /** Chosen by the consumer, unique among the streams it opened on this connection (a counter, never reused). */
  id: number;
  cmd: string;
  data?: unknown;
  /** Items the producer may send before it hears more: at least 1, at most the receiver's credit limit. */
  credit: number;
}

export interface StreamItemMessage extends Envelope {
  kind: typeof MessageKind.StreamItem;
  id: number;
  data?: unknown;
}

export interface StreamCreditMessage extends Envelope {
  kind: typeof MessageKind.StreamCredit;
  id: number;
  /** More items granted, at least 1. */
  n: number;
}

export interface StreamEndMessage extends Envelope {
  kind: typeof MessageKind.StreamEnd;
  id: number;
  error?: WireError;
}

export interface StreamCancelMessage extends Envelope {
  kind: typeof MessageKind.StreamCancel;
  id: number;
  /** Why, when it is not the consumer's own choice: the server sends DISCONNECTED when a routed stream's consumer went. */
  error?: WireError;
}

/** Messages a producer receives about a stream it serves. */
export type StreamToProducerMessage = StreamCreditMessage | StreamCancelMessage;
/** Messages a consumer receives about a stream it opened. */
export type StreamToConsumerMessage = StreamItemMessage | StreamEndMessage;
export type StreamMessage = StreamOpenMessage | StreamToProducerMessage | StreamToConsumerMessage;

const STREAM_KINDS: ReadonlySet<string> = new Set([
  MessageKind.StreamOpen,
  MessageKind.StreamItem,
  MessageKind.StreamCredit,
  MessageKind.StreamEnd,
  MessageKind.StreamCancel,
]);

export function isStreamMessage(message: Message): message is StreamMessage {
  return STREAM_KINDS.has(message.kind);
}

export type Message =
  | HelloMessage
  | ChallengeMessage
  | ProofMessage
  | WelcomeMessage
  | EmitMessage
  | RequestMessage
  | ResponseMessage
  | CancelMessage
  | BroadcastMessage
  | CommandsMessage
  | ErrorMessage
  | StreamMessage;

/** One line per message for verbose logs: kind name first, then what identifies it. */
export function describeMessage(message: Message): string {
  const parts: string[] = [message.kind];
  if ('cmd' in message) parts.push(message.cmd);
  if ('id' in message) parts.push(`#${message.id}`);
  if ('from' in message && message.from !== undefined) parts.push(`from=${message.from}`);
  if ('to' in message && message.to !== undefined) parts.push(`to=${message.to}`);
  if (message.kind === MessageKind.Hello || message.kind === MessageKind.Welcome) parts.push(`name=${message.name ?? '(unnamed)'}`);
  if (message.kind === MessageKind.StreamCredit) parts.push(`n=${message.n}`);
  if (message.kind === MessageKind.StreamOpen) parts.push(`credit=${message.credit}`);
  if (message.kind === MessageKind.Error || ((message.kind === MessageKind.Response || message.kind === MessageKind.StreamEnd) && message.error)) {
    parts.push(`error=${message.error?.code ?? ''}`);
  }
  return parts.join(' ');
}
