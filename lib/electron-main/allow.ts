import type { AnyContract, Contract } from '../common/contract.js';
import type { PeerPolicy } from '../common/peer.js';

/**
 * What a window or utility process may call, emit or broadcast. A contract is
 * a type and leaves nothing at run time to derive a default from, so the list
 * is required; TypeScript checks every name in it against the contract.
 *
 *   allow: { server: ['log'], clients: { hasher: ['hash'] }, broadcasts: ['theme'] }
 *
 * `'*'` allows everything; a function decides per message. Discovery is
 * always allowed. Calls outside the list are answered with FORBIDDEN.
 */
export type AllowSpec<C extends Contract = AnyContract> =
  | '*'
  | ((command: string, target: string | undefined, kind: 'emit' | 'request' | 'broadcast' | 'stream') => boolean)
  | {
      /** Commands of the server (main) itself. */
      server?: readonly (keyof C['server'] & string)[];
      /** Per client name, its commands this peer may call or emit to it; '*' for all of them. */
      clients?: { readonly [T in keyof C['clients'] & string]?: readonly (keyof C['clients'][T] & string)[] | '*' };
      /** Broadcasts this peer may send. */
      broadcasts?: readonly (keyof C['broadcasts'] & string)[];
    };

/** The router's check for one peer: broadcasts against `broadcasts`, the rest against their target's list. */
export function allowPolicy<C extends Contract>(spec: AllowSpec<C>, serverName: string): PeerPolicy['allow'] {
  if (spec === '*') return undefined;
  if (typeof spec === 'function') return spec;
  const server = new Set<string>(spec.server ?? []);
  const broadcasts = new Set<string>(spec.broadcasts ?? []);
  const perClient = new Map<string, '*' | Set<string>>();
  for (const [client, commands] of Object.entries(spec.clients ?? {}) as [string, readonly string[] | '*' | undefined][]) {
    if (commands !== undefined) perClient.set(client, commands === '*' ? '*' : new Set(commands));
  }
  return (command, target, kind) => {
    if (kind === 'broadcast') return broadcasts.has(command);
    if (target === undefined || target === serverName) return server.has(command);
    const allowed = perClient.get(target);
    return allowed === '*' || (allowed?.has(command) ?? false);
  };
}
