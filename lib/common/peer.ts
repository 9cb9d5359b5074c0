import type { Port } from './port.js';

/** What a transport adapter may decide about a peer before its hello (windows and utility processes). */
export interface PeerPolicy {
  /** The name this peer gets whatever its hello says (main names its windows). */
  name?: string;
  /** Skip the token check: main created this port itself. */
  trusted?: boolean;
  /** Which commands this peer may call, emit, broadcast or stream from; anything else gets FORBIDDEN. */
  allow?: (command: string, target: string | undefined, kind: 'emit' | 'request' | 'broadcast' | 'stream') => boolean;
  /** A label for logs and discovery ("socket", "window", "utility"). */
  kind?: string;
}

/** One connected, welcomed peer as the server sees it. */
export interface Peer {
  readonly name: string;
  readonly uuid: string;
  readonly session: string;
  readonly port: Port;
  readonly policy: PeerPolicy;
  commands: string[];
}
