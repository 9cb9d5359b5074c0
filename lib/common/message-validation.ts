import { ErrorCode, IpcError } from './errors.js';
import { MessageKind, type Message } from './messages.js';
import { checkNesting, MIN_JSON_BYTES_TOO_DEEP } from './nesting.js';
import { PROTOCOL } from './protocol.js';
import { isNonce } from './token-proof.js';

/** The smallest frame limit a peer may announce in its hello. */
export const MIN_PEER_MAX_FRAME_SIZE: number = PROTOCOL.defaults.minPeerMaxFrameSize;

/**
 * Checks that a decoded value is a well-formed message before any routing code
 * trusts its fields. Everything from a peer passes here; anything off gets
 * BAD_MESSAGE naming the field. `jsonBytes`: the UTF-8 length of the text it was parsed from, when known.
 */
export function validateMessage(value: unknown, jsonBytes?: number): Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('a message must be a JSON object');
  }
  // Before any field is read: a message no conformant client could decode is never accepted, so never relayed.
  // Skipped for JSON too short to nest that deep (most messages): the walk cost as much as the rest of the checks.
  if (jsonBytes === undefined || jsonBytes >= MIN_JSON_BYTES_TOO_DEEP) checkNesting(value, 'the message');
  const m = value as Record<string, unknown>;
  switch (m.kind) {
    case MessageKind.Hello:
      requireNumber(m, 'version');
      optionalString(m, 'name');
      optionalString(m, 'token');
      if (m.nonce !== undefined && !isNonce(m.nonce)) throw bad('hello: "nonce" must be 64 lowercase hex digits');
      optionalString(m, 'session');
      if (m.commands !== undefined) requireStringArray(m, 'commands');
      if (m.features !== undefined) requireStringArray(m, 'features');
      // Below this the server could not even send its welcome or an error frame, and would close in silence.
      if (m.maxFrameSize !== undefined && (!Number.isSafeInteger(m.maxFrameSize) || (m.maxFrameSize as number) < MIN_PEER_MAX_FRAME_SIZE)) {
        throw bad(`hello: "maxFrameSize" must be an integer of at least ${MIN_PEER_MAX_FRAME_SIZE}`);
      }
      break;
    case MessageKind.Challenge:
      if (!isNonce(m.nonce)) throw bad('challenge: "nonce" must be 64 lowercase hex digits');
      if (!isNonce(m.proof)) throw bad('challenge: "proof" must be 64 lowercase hex digits');
      break;
    case MessageKind.Proof:
      if (!isNonce(m.proof)) throw bad('proof: "proof" must be 64 lowercase hex digits');
      break;
    case MessageKind.Welcome:
      requireNumber(m, 'version');
      requireString(m, 'name');
      requireString(m, 'uuid');
      requireString(m, 'session');
      requireString(m, 'serverName');
      requireNumber(m, 'maxFrameSize');
      if (m.features !== undefined) requireStringArray(m, 'features');
      break;
    case MessageKind.Emit:
    case MessageKind.Broadcast:
      requireString(m, 'cmd');
      requireRouting(m);
      break;
    case MessageKind.Request:
      requireId(m);
      requireString(m, 'cmd');
      requireRouting(m);
      break;
    case MessageKind.Response:
    case MessageKind.StreamCancel:
    case MessageKind.StreamEnd:
      requireId(m);
      if (m.error !== undefined) requireWireError(m.error);
      break;
    case MessageKind.Cancel:
      requireId(m);
      break;
    case MessageKind.Commands:
      requireStringArray(m, 'commands');
      break;
    case MessageKind.Error:
      requireWireError(m.error);
      if (m.fatal !== undefined && typeof m.fatal !== 'boolean') throw bad('error: "fatal" must be a boolean');
      if (m.retry !== undefined && typeof m.retry !== 'boolean') throw bad('error: "retry" must be a boolean');
      break;
    case MessageKind.StreamOpen:
      requireId(m);
      requireString(m, 'cmd');
      requireCount(m, 'credit');
      requireRouting(m);
      break;
    case MessageKind.StreamItem:
      requireId(m);
      break;
    case MessageKind.StreamCredit:
      requireId(m);
      requireCount(m, 'n');
      break;
    default:
      throw bad(`unknown message kind ${JSON.stringify(m.kind)}`);
  }
  return m as unknown as Message;
}

function bad(message: string): IpcError {
  return new IpcError(ErrorCode.BAD_MESSAGE, message);
}

function requireString(m: Record<string, unknown>, key: string): void {
  if (typeof m[key] !== 'string') throw bad(`${String(m.kind)}: "${key}" must be a string`);
}

function optionalString(m: Record<string, unknown>, key: string): void {
  if (m[key] !== undefined) requireString(m, key);
}

function requireNumber(m: Record<string, unknown>, key: string): void {
  if (typeof m[key] !== 'number' || !Number.isFinite(m[key])) throw bad(`${String(m.kind)}: "${key}" must be a number`);
}

function requireId(m: Record<string, unknown>): void {
  if (!Number.isSafeInteger(m.id) || (m.id as number) < 0) throw bad(`${String(m.kind)}: "id" must be an integer from 0 to 2^53 - 1`);
}

/** A credit count: a positive integer. Whether it fits the window is the stream's business, not the frame's. */
function requireCount(m: Record<string, unknown>, key: string): void {
  if (!Number.isSafeInteger(m[key]) || (m[key] as number) < 1) throw bad(`${String(m.kind)}: "${key}" must be a positive integer`);
}

function requireStringArray(m: Record<string, unknown>, key: string): void {
  const v = m[key];
  if (!Array.isArray(v) || !v.every((item) => typeof item === 'string')) {
    throw bad(`${String(m.kind)}: "${key}" must be an array of strings`);
  }
}

function requireRouting(m: Record<string, unknown>): void {
  optionalString(m, 'to');
  optionalString(m, 'from');
  optionalString(m, 'fromUuid');
}

function requireWireError(e: unknown): void {
  if (typeof e !== 'object' || e === null) throw bad('"error" must be an object');
  const { code, message } = e as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') throw bad('"error" needs a string code and message');
}
