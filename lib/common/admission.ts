import { ErrorCode, IpcError } from './errors.js';
import { MessageKind, PROTOCOL_VERSION, type Message } from './messages.js';
import { newId } from './ids.js';
import { checkCommandList, checkPeerName } from './names.js';
import type { Peer, PeerPolicy } from './peer.js';

export interface AdmissionRules {
  serverName: string;
  /** The server-wide token, if any. */
  token: string | undefined;
  /** Names reserved for supervised helpers, each with its own token. */
  nameTokens: ReadonlyMap<string, string>;
  peers: ReadonlyMap<string, Peer>;
}

export interface Admission {
  name: string;
  uuid: string;
  session: string;
  /** The same client's earlier connection, which this one replaces. */
  replaces?: Peer;
}

/**
 * The token a connection's first message must prove it knows before it is let in, or undefined when
 * none is needed (no token set, or a trusted port). Throws the IpcError to refuse it with: BAD_MESSAGE
 * (not a hello), PROTOCOL_VERSION, or AUTH_FAILED (a hello carrying the token itself, which this
 * version never sends, or without the nonce the proof needs).
 */
export function tokenRequired(message: Message, policy: PeerPolicy, rules: AdmissionRules): string | undefined {
  if (message.kind !== MessageKind.Hello) throw new IpcError(ErrorCode.BAD_MESSAGE, `expected hello, got ${message.kind}`);
  if (message.version !== PROTOCOL_VERSION) {
    throw new IpcError(ErrorCode.PROTOCOL_VERSION, `protocol version ${message.version} is not supported (server speaks ${PROTOCOL_VERSION})`);
  }
  if (message.token !== undefined) {
    throw new IpcError(ErrorCode.AUTH_FAILED, 'a hello may not carry the token: send a nonce and answer the challenge (PROTOCOL.md, Handshake)');
  }
  if (policy.trusted) return undefined;
  // A name reserved for a supervised helper takes that helper's own token instead of the server's.
  const claimed = policy.name ?? message.name;
  const expected = (claimed === undefined ? undefined : rules.nameTokens.get(claimed)) ?? rules.token;
  if (expected !== undefined && message.nonce === undefined) {
    throw new IpcError(ErrorCode.AUTH_FAILED, 'this server requires a token');
  }
  return expected;
}

/**
 * Decides under which name and session a hello (whose token, if one was needed, is proven) is let
 * in. Throws the IpcError to refuse it with: BAD_MESSAGE, PROTOCOL_VERSION, NAME_TAKEN or
 * COMMAND_LIST_TOO_LARGE.
 */
export function admit(message: Message, policy: PeerPolicy, rules: AdmissionRules): Admission {
  if (message.kind !== MessageKind.Hello) throw new IpcError(ErrorCode.BAD_MESSAGE, `expected hello, got ${message.kind}`);
  if (message.version !== PROTOCOL_VERSION) {
    throw new IpcError(ErrorCode.PROTOCOL_VERSION, `protocol version ${message.version} is not supported (server speaks ${PROTOCOL_VERSION})`);
  }
  const claimed = policy.name ?? message.name;
  const uuid = newId();
  const name = claimed ?? uuid;
  checkPeerName(name, rules.serverName);
  checkCommandList(message.commands ?? []);
  const existing = rules.peers.get(name);
  if (!existing) return { name, uuid, session: newId() };
  // Its own earlier connection, not yet noticed dead: the session proves it is the same client.
  if (message.session === undefined || message.session !== existing.session) {
    throw new IpcError(ErrorCode.NAME_TAKEN, `the name "${name}" is taken by a connected client`);
  }
  return { name, uuid, session: existing.session, replaces: existing };
}
