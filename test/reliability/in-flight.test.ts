import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../lib/common/errors.js';
import { DISCOVER_COMMAND, MessageKind, type Message } from '../../lib/common/messages.js';
import { PROTOCOL } from '../../lib/common/protocol.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { mib, reportFigures, scale, startServer, stopAllChildren, type ServerMemory } from './support/harness.js';

const LIMIT = PROTOCOL.defaults.maxInFlightRequests;
const REQUESTS = scale(20_000, 200_000);

async function join(path: string, name: string): Promise<RawPeer> {
  const peer = await RawPeer.connect(path);
  peer.send({ kind: MessageKind.Hello, version: 1, name });
  await peer.waitFor(MessageKind.Welcome);
  return peer;
}

/** Sends `count` requests in batches, letting the socket drain between them (the test process stays small). */
async function flood(peer: RawPeer, count: number, request: (id: number) => Message): Promise<void> {
  for (let id = 0; id < count; id += 1) {
    peer.send(request(id));
    if (id % 2_000 === 1_999) await new Promise<void>((resolve) => (peer.socket.writableNeedDrain ? peer.socket.once('drain', resolve) : setImmediate(resolve)));
  }
}

function responses(peer: RawPeer): Extract<Message, { kind: 'response' }>[] {
  return peer.received.filter((m): m is Extract<Message, { kind: 'response' }> => m.kind === MessageKind.Response);
}

describe('in-flight requests per connection are bounded (issue 11, item 3)', () => {
  afterAll(() => stopAllChildren());

  it(`${REQUESTS} requests from one connection to a slow handler: ${LIMIT} run, the rest are answered TOO_MANY_REQUESTS, the connection is kept`, async () => {
    const socket = tempSocket();
    const server = await startServer({ socketPath: socket.socketPath });
    try {
      const before = await server.call<ServerMemory>('resetHwm');
      const attacker = await join(socket.socketPath, 'attacker');
      await flood(attacker, REQUESTS, (id) => ({ kind: MessageKind.Request, id, cmd: 'slow' }));
      await until(() => responses(attacker).length >= REQUESTS - LIMIT, 120_000, 'the refusals');
      const refused = responses(attacker);
      expect(refused.every((r) => r.error?.code === ErrorCode.TOO_MANY_REQUESTS)).toBe(true);
      // The first LIMIT ids run (and wait); every later one is refused, each exactly once.
      expect(new Set(refused.map((r) => r.id)).size).toBe(REQUESTS - LIMIT);
      expect(refused.reduce((least, r) => Math.min(least, r.id), Infinity)).toBe(LIMIT);
      // The connection is kept: discovery still answers.
      attacker.send({ kind: MessageKind.Request, id: REQUESTS, cmd: DISCOVER_COMMAND });
      await until(() => responses(attacker).some((r) => r.id === REQUESTS), 10_000, 'the discover answer');
      expect(responses(attacker).find((r) => r.id === REQUESTS)?.error).toBeUndefined();
      expect(attacker.closed).toBe(false);
      const after = await server.call<ServerMemory>('memory');

      // Forwarded: the same bound, to a target that never answers.
      const sink = await join(socket.socketPath, 'sink');
      const router = await join(socket.socketPath, 'router');
      await flood(router, REQUESTS, (id) => ({ kind: MessageKind.Request, id, cmd: 'anything', to: 'sink' }));
      await until(() => responses(router).length >= REQUESTS - LIMIT && sink.received.filter((m) => m.kind === MessageKind.Request).length >= LIMIT, 120_000, 'the forwarded refusals');
      expect(responses(router).every((r) => r.error?.code === ErrorCode.TOO_MANY_REQUESTS)).toBe(true);
      const forwarded = sink.received.filter((m) => m.kind === MessageKind.Request).length;
      expect(forwarded).toBe(LIMIT);
      const end = await server.call<ServerMemory>('memory');
      reportFigures('in-flight bound', {
        requests: REQUESTS,
        limit: LIMIT,
        refusedToHandler: refused.length,
        refusedForwarded: responses(router).length,
        forwardedToSink: forwarded,
        rssBeforeMiB: mib(before.rssHwm),
        rssHighWaterHandlerMiB: mib(after.rssHwm),
        rssHighWaterBothMiB: mib(end.rssHwm),
      });
      for (const peer of [attacker, sink, router]) peer.socket.destroy();
    } finally {
      await server.stop();
      socket.cleanup();
    }
  });
});
