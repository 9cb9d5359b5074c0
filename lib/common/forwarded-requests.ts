import type { PeerConnection } from './peer-connection.js';

/**
 * A request the server passes from one peer to another and must answer back.
 * It sits in two tables, each owned by one end's connection: the origin's
 * (by the origin's own id, for its cancel) and the target's (by the route id
 * the server chose on the target's connection, for its answer). Whichever end
 * removes it checks identity, so a reused id never removes someone else's entry.
 */
export interface ForwardedRequest {
  /** The id the server used on the target's connection. */
  readonly routeId: number;
  readonly origin: PeerConnection;
  /** The id the origin chose on its own connection. */
  readonly originId: number;
  readonly target: PeerConnection;
}
