import { describe, expect, it } from 'vitest';
import { ErrorCode, IpcError } from '../../../lib/common/errors.js';
import { MessageKind, type Message, type StreamOpenMessage } from '../../../lib/common/messages.js';
import { StreamEndpoint } from '../../../lib/common/streams/stream-endpoint.js';
import { routeStream } from '../../../lib/common/streams/stream-relay.js';

/** Peers that break the credit rules, written by hand: the engines end the stream with BAD_MESSAGE and keep going. */

function recorder() {
  const sent: Message[] = [];
  return { sent, send: (message: Message) => void sent.push(message) };
}

describe('streams against peers that break the rules', () => {
  it('a consumer receiving an item without credit cancels with BAD_MESSAGE', async () => {
    const out = recorder();
    const endpoint = new StreamEndpoint({ send: out.send, peerSpeaksStreams: true, peerName: 'rogue' });
    const stream = endpoint.open<number>('x', undefined, { window: 1 });
    endpoint.receive({ kind: MessageKind.StreamItem, id: stream.id, data: 1 });
    endpoint.receive({ kind: MessageKind.StreamItem, id: stream.id, data: 2 });
    await expect(stream.next()).rejects.toMatchObject({ code: 'BAD_MESSAGE' });
    expect(out.sent.map((m) => m.kind)).toEqual(['stream-open', 'stream-cancel']);
    // Later messages for the ended stream are dropped, and the endpoint still opens streams.
    endpoint.receive({ kind: MessageKind.StreamEnd, id: stream.id });
    expect(endpoint.open('y').id).toBe(stream.id + 1);
  });

  it('the relay ends a stream whose producer sends without credit, on both sides, and forgets it', () => {
    const consumerOut = recorder();
    const producerOut = recorder();
    const consumerSide = new StreamEndpoint({ send: consumerOut.send, peerSpeaksStreams: true, peerName: 'viewer' });
    const producerSide = new StreamEndpoint({ send: producerOut.send, peerSpeaksStreams: true, peerName: 'rogue' });
    const open: StreamOpenMessage = { kind: MessageKind.StreamOpen, id: 9, cmd: 'feed', credit: 1, to: 'rogue' };
    const stream = routeStream(open, { send: consumerOut.send, relay: consumerSide.relay, name: 'viewer' }, { send: producerOut.send, relay: producerSide.relay, name: 'rogue' }, { producerId: producerSide.allocateId(), maxCredit: 1024, from: 'viewer', fromUuid: 'u' });
    expect(producerOut.sent).toEqual([{ kind: 'stream-open', id: 1, cmd: 'feed', credit: 1, from: 'viewer', fromUuid: 'u' }]);
    producerSide.receive({ kind: MessageKind.StreamItem, id: 1, data: 'ok' });
    producerSide.receive({ kind: MessageKind.StreamItem, id: 1, data: 'over' });
    expect(consumerOut.sent).toEqual([
      { kind: 'stream-item', id: 9, data: 'ok' },
      { kind: 'stream-end', id: 9, error: expect.objectContaining({ code: 'BAD_MESSAGE' }) },
    ]);
    expect(producerOut.sent.at(-1)).toEqual({ kind: 'stream-cancel', id: 1 });
    expect(stream?.ended).toBe(true);
    expect(consumerSide.relay.size + producerSide.relay.size).toBe(0);
  });

  it("the relay tells the producer DISCONNECTED, not a bare cancel, when an item finds the consumer's connection already closed", () => {
    const producerOut = recorder();
    const closedConsumer = (): void => {
      throw new IpcError(ErrorCode.CLOSED, 'the connection of "viewer" is closed');
    };
    const consumerSide = new StreamEndpoint({ send: closedConsumer, peerSpeaksStreams: true, peerName: 'viewer' });
    const producerSide = new StreamEndpoint({ send: producerOut.send, peerSpeaksStreams: true, peerName: 'sensor' });
    const open: StreamOpenMessage = { kind: MessageKind.StreamOpen, id: 4, cmd: 'feed', credit: 2, to: 'sensor' };
    const stream = routeStream(open, { send: closedConsumer, relay: consumerSide.relay, name: 'viewer' }, { send: producerOut.send, relay: producerSide.relay, name: 'sensor' }, { producerId: producerSide.allocateId(), maxCredit: 1024, from: 'viewer', fromUuid: 'u' });
    producerSide.receive({ kind: MessageKind.StreamItem, id: 1, data: 'sample' });
    expect(producerOut.sent.at(-1)).toEqual({ kind: 'stream-cancel', id: 1, error: expect.objectContaining({ code: 'DISCONNECTED' }) });
    expect(stream?.ended).toBe(true);
    expect(consumerSide.relay.size + producerSide.relay.size).toBe(0);
  });

  it('the relay ends a stream whose id is opened twice, and refuses routed streams past maxStreams', () => {
    const consumerOut = recorder();
    const consumerSide = new StreamEndpoint({ send: consumerOut.send, peerSpeaksStreams: true, peerName: 'viewer', limits: { maxStreams: 1 } });
    const producerSide = new StreamEndpoint({ send: () => undefined, peerSpeaksStreams: true, peerName: 'sensor' });
    const ends = () => [{ send: consumerOut.send, relay: consumerSide.relay, name: 'viewer' }, { send: () => undefined, relay: producerSide.relay, name: 'sensor' }] as const;
    const route = (id: number) => routeStream({ kind: MessageKind.StreamOpen, id, cmd: 'f', credit: 1 }, ...ends(), { producerId: producerSide.allocateId(), maxCredit: 1024, from: 'viewer', fromUuid: 'u' });
    const first = route(1);
    expect(first).toBeDefined();
    expect(route(1)).toBeUndefined();
    expect(first?.ended).toBe(true);
    expect(route(2)).toBeDefined();
    expect(route(3)).toBeUndefined();
    expect(consumerOut.sent.map((m) => (m.kind === 'stream-end' ? m.error?.code : m.kind))).toEqual(['BAD_MESSAGE', 'TOO_MANY_STREAMS']);
  });

  it('an id opened twice ends the running stream with BAD_MESSAGE (one answer could not tell them apart)', async () => {
    const out = recorder();
    const endpoint = new StreamEndpoint({ send: out.send, peerSpeaksStreams: true, peerName: 'rogue' });
    const signals: AbortSignal[] = [];
    const handler = ({ signal }: { signal: AbortSignal }) => {
      signals.push(signal);
      return (async function* () {
        for (;;) yield 1;
      })();
    };
    const fields = { client_name: 'rogue', uuid: '', socket: null, server: null };
    const first = endpoint.serve({ kind: MessageKind.StreamOpen, id: 4, cmd: 'h', credit: 1 }, handler, fields);
    expect(endpoint.serve({ kind: MessageKind.StreamOpen, id: 4, cmd: 'h', credit: 1 }, handler, fields)).toBeUndefined();
    await first?.finished;
    expect(signals.map((s) => s.aborted)).toEqual([true]);
    expect(out.sent.filter((m) => m.kind === 'stream-end')).toEqual([{ kind: 'stream-end', id: 4, error: expect.objectContaining({ code: 'BAD_MESSAGE' }) }]);
    expect(endpoint.size).toBe(0);
  });
});
