import type { Peer } from './peer.js';

/** A request the server passes from one peer to another and must answer back. */
export interface ForwardedRequest {
  /** The id the server used on the target's connection. */
  routeId: number;
  origin: Peer;
  /** The id the origin chose on its own connection. */
  originId: number;
  target: Peer;
}

/**
 * The server's table of requests in transit between peers, findable from
 * both ends: by route id when the target answers, by the origin's own id
 * when the origin cancels, and by peer when either end goes away.
 */
export class ForwardedRequests {
  private readonly byRoute = new Map<number, ForwardedRequest>();
  private readonly byOrigin = new Map<Peer, Map<number, ForwardedRequest>>();

  add(request: ForwardedRequest): void {
    this.byRoute.set(request.routeId, request);
    let own = this.byOrigin.get(request.origin);
    if (!own) this.byOrigin.set(request.origin, (own = new Map()));
    own.set(request.originId, request);
  }

  /** The request `target` answers with `routeId`, removed; undefined when it is not one it was given. */
  takeAnswered(routeId: number, target: Peer): ForwardedRequest | undefined {
    const request = this.byRoute.get(routeId);
    if (request?.target !== target) return undefined;
    this.remove(request);
    return request;
  }

  /** The request `origin` cancels by its own id, removed. */
  takeCancelled(origin: Peer, originId: number): ForwardedRequest | undefined {
    const request = this.byOrigin.get(origin)?.get(originId);
    if (request) this.remove(request);
    return request;
  }

  /** Every request through a peer that went away, removed. */
  takeAllThrough(peer: Peer): ForwardedRequest[] {
    const through = [...this.byRoute.values()].filter((r) => r.origin === peer || r.target === peer);
    for (const request of through) this.remove(request);
    return through;
  }

  remove(request: ForwardedRequest): void {
    this.byRoute.delete(request.routeId);
    const own = this.byOrigin.get(request.origin);
    own?.delete(request.originId);
    if (own?.size === 0) this.byOrigin.delete(request.origin);
  }
}
