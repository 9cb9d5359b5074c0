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
 * Decides whether a connection's first message lets it in, and under which
 * name and session. Throws the IpcError to refuse it with: BAD_MESSAGE,
 * PROTOCOL_VERSION, AUTH_FAILED or NAME_TAKEN.
 */
export function admit(message: Message, policy: PeerPolicy, rules: AdmissionRules): Admission {
  if (message.kind !== MessageKind.Hello) throw new IpcError(ErrorCode.BAD_MESSAGE, `expected hello, got ${message.kind}`);
  if (message.version !== PROTOCOL_VERSION) {
    throw new IpcError(ErrorCode.PROTOCOL_VERSION, `protocol version ${message.version} is not supported (server speaks ${PROTOCOL_VERSION})`);
  }
  // A name reserved for a supervised helper takes that helper's own token instead of the server's.
  const claimed = policy.name ?? message.name;
  const expectedToken = (claimed === undefined ? undefined : rules.nameTokens.get(claimed)) ?? rules.token;
  if (!policy.trusted && expectedToken !== undefined && !sameSecret(message.token, expectedToken)) {
    throw new IpcError(ErrorCode.AUTH_FAILED, message.token === undefined ? 'this server requires a token' : 'wrong token');
  }
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

/**
 * Compares a presented token with the expected one in time that depends only
 * on the expected token's length, so a guesser learns nothing from how fast
 * a wrong guess is refused.
 */
function sameSecret(presented: string | undefined, expected: string): boolean {
  const given = presented ?? '';
  let difference = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i += 1) {
    difference |= expected.charCodeAt(i) ^ given.charCodeAt(i % Math.max(given.length, 1));
  }
  return difference === 0;
}
