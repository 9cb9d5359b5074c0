import { ErrorCode, IpcError } from './errors.js';
import type { HandlerRegistry } from './handler-registry.js';
import { MessageKind, ProtocolFeature, type StreamMessage, type StreamOpenMessage } from './messages.js';
import type { PeerConnection } from './peer-connection.js';
import { routeStream, type RelayEnd } from './streams/stream-relay.js';

/** What the server's stream dispatch needs from the server. */
export interface ServerStreamContext {
  readonly name: string;
  readonly registry: HandlerRegistry;
  /** The seed's `server` in handler containers. */
  serverHandle(): unknown;
  peer(name: string): PeerConnection | undefined;
}

/**
 * One stream message from a welcomed peer. `stream-open` is decided here:
 * the policy first (FORBIDDEN), then the server's own handler (no `to`), or a
 * route to another client (NO_SUCH_CLIENT when absent, UNSUPPORTED when it
 * did not announce streams). Everything else goes to the connection's engine.
 */
export function dispatchStreamMessage(context: ServerStreamContext, peer: PeerConnection, message: StreamMessage): void {
  if (message.kind !== MessageKind.StreamOpen) {
    peer.streams.receive(message);
    return;
  }
  const to = message.to === context.name ? undefined : message.to;
  if (peer.policy.allow && !peer.policy.allow(message.cmd, to, 'stream')) {
    refuseSafely(peer, message, new IpcError(ErrorCode.FORBIDDEN, `"${peer.name}" may not stream "${message.cmd}"`));
    return;
  }
  if (to === undefined) {
    peer.streams.serve(message, context.registry.get(message.cmd), {
      client_name: peer.name,
      uuid: peer.uuid,
      socket: peer.port.socket,
      server: context.serverHandle(),
    });
    return;
  }
  routeTo(context, peer, message, to);
}

function routeTo(context: ServerStreamContext, consumer: PeerConnection, open: StreamOpenMessage, targetName: string): void {
  const producer = context.peer(targetName);
  if (!producer) {
    refuseSafely(consumer, open, new IpcError(ErrorCode.NO_SUCH_CLIENT, `no client named "${targetName}" is connected`));
    return;
  }
  if (!producer.features.includes(ProtocolFeature.Streams)) {
    refuseSafely(consumer, open, new IpcError(ErrorCode.UNSUPPORTED, `client "${targetName}" does not support streams (it did not announce the "streams" feature)`));
    return;
  }
  routeStream(open, relayEnd(consumer), relayEnd(producer), {
    producerId: producer.streams.allocateId(),
    maxCredit: consumer.streams.limits.maxCredit,
    from: consumer.name,
    fromUuid: consumer.uuid,
  });
}

function relayEnd(peer: PeerConnection): RelayEnd {
  return {
    send: (message) => {
      const failure = peer.send(message);
      if (failure) throw failure;
    },
    relay: peer.streams.relay,
    name: peer.name,
  };
}

/** A refusal to a connection that may be going: nothing more to do if it is. */
function refuseSafely(peer: PeerConnection, open: StreamOpenMessage, error: IpcError): void {
  try {
    peer.streams.refuse(open, error);
  } catch {
    // The consumer's connection went; its dispose ended everything.
  }
}
