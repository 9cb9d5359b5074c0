import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpcError } from '../../lib/common/errors.js';
import { FRAME_HEADER_BYTES, FRAME_LENGTH_BYTES, FrameDecoder, MAX_HELLO_FRAME_SIZE } from '../../lib/common/frame-codec.js';
import type { Message } from '../../lib/common/messages.js';
import { headerOnly, RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { clientMessage, concat, frameBytes, hello, invalidUtf8, mutate, mutation, nested, prototypeKeyFrames, rawJsonFrame } from './support/fuzz.js';
import { Child, mib, MiB, reportFigures, scale, startServer, stopAllChildren, type ClientSummary, type ServerMemory, type ServerStats } from './support/harness.js';

/**
 * The same fuzzing against a live server over a real socket. Each input goes
 * to a fresh connection, before the hello or after the welcome; then a probe
 * checks whether the connection still works. The server must answer every
 * protocol error with a fatal `error` frame carrying a known code and close
 * exactly then; never crash, never close silently; keep its memory bounded;
 * and serve two bystander clients, streaming throughout, without a miss.
 */
const TOKEN = 'sesame';
const MAX_FRAME = MiB;
// Every code the server closes a connection with (docs/PROTOCOL.md): a hello whose mutated `commands` breaks the list bounds is COMMAND_LIST_TOO_LARGE.
const KNOWN = new Set(['BAD_MESSAGE', 'NESTING_TOO_DEEP', 'FRAME_TOO_LARGE', 'AUTH_FAILED', 'PROTOCOL_VERSION', 'NAME_TAKEN', 'HANDSHAKE_TIMEOUT', 'COMMAND_LIST_TOO_LARGE']);
const PROBE_ID = 2 ** 40;
/** Far longer than any exchange here takes under load, so no input's verdict depends on when it ends. */
const HANDSHAKE_TIMEOUT_MS = 30_000;

interface Input {
  label: string;
  /** Before the hello, or after a welcome. */
  stage: 'pre' | 'post';
  bytes: Uint8Array;
}

/** The probe's id; the probe sent after completing a pending frame; the round trip that confirms a connection is open. */
const AFTER_ID = PROBE_ID + 1;
const CONFIRM_ID = PROBE_ID + 2;
/**
 * How long to wait for an answer or a close the oracle says must come. Never part of a verdict: a
 * working server under any load answers long before; reaching it fails the test as a hang.
 */
const SETTLE_TIMEOUT_MS = 30_000;

interface Outcome {
  /** 'waiting': the bytes ended inside a frame; `after` says what the connection did once it was completed. */
  state: 'closed' | 'open' | 'waiting';
  code?: string;
  fatal?: boolean;
  after?: { state: 'closed' | 'open'; code?: string; fatal?: boolean };
  /** Whether the probe swallowed by a pending frame was ever answered (it must not be). */
  swallowedProbeAnswered?: boolean;
}

/** The message sent after the input: a request after the welcome, a hello before it. */
function probeFor(stage: Input['stage'], name: string, id = PROBE_ID): Message {
  return stage === 'post' ? { kind: 'request', id, cmd: 'ipcio:discover' } : { kind: 'hello', version: 1, name };
}

/**
 * How many zero bytes end the frame that `bytes` stop inside (0 at a boundary), by walking frame lengths.
 * A header cut short is padded with zeros first; if it then announces a frame the decoder refuses, the
 * header alone is enough (the refusal comes right after it).
 */
function bytesToFrameEnd(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (bytes.byteLength - offset >= FRAME_HEADER_BYTES) offset += FRAME_LENGTH_BYTES + view.getUint32(offset);
  const left = bytes.byteLength - offset;
  if (left <= 0) return -left;
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  header.set(bytes.subarray(offset));
  const frameLength = new DataView(header.buffer).getUint32(0);
  const refused = frameLength > MAX_FRAME || frameLength < FRAME_HEADER_BYTES - FRAME_LENGTH_BYTES;
  return (refused ? FRAME_HEADER_BYTES : FRAME_LENGTH_BYTES + frameLength) - left;
}

describe('fuzzing a live server over a real socket', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: Child;
  let bystanders: Child;
  let baseline: ServerMemory;
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
  const outcomes: Record<string, number> = {};
  let inputs = 0;
  let serial = 0;

  beforeAll(async () => {
    socket = tempSocket();
    server = await startServer({ socketPath: socket.socketPath, maxFrameSize: MAX_FRAME, handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS });
    bystanders = Child.start('rel-clients.mjs', { socketPath: socket.socketPath, prefix: 'by', count: 2 }, { label: 'bystanders' });
    await bystanders.call('connect');
    baseline = await server.call<ServerMemory>('resetHwm');
    await bystanders.call('startStream', 5, 20);
  });

  afterAll(async () => {
    await stopAllChildren();
    socket.cleanup();
  });

  /** What the server must say when the codec alone rejects the bytes (undefined: it does not). */
  function codecVerdict(input: Input): { code?: string; messagesBefore: number } {
    const decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME, maxFirstFrameSize: input.stage === 'pre' ? MAX_HELLO_FRAME_SIZE : undefined });
    try {
      return { messagesBefore: decoder.push(input.bytes).length };
    } catch (error) {
      return { code: (error as IpcError).code, messagesBefore: 0 };
    }
  }

  /**
   * Sends the input then the probe, and waits for what the oracle says must follow: an answer or a
   * close. When the oracle says the bytes end inside a frame (which swallows the probe), that is proved,
   * not inferred from silence: the frame is completed with zeros, a second probe follows, and the server
   * must then react to it. An answer is confirmed by one more round trip, since a close can follow it
   * (a hello after a hello); frames on one connection are handled in order, so its answer means
   * everything before it was handled without a close.
   */
  async function run(input: Input, name: string): Promise<Outcome> {
    const peer = await RawPeer.connect(socket.socketPath);
    try {
      if (input.stage === 'post') {
        peer.send({ kind: 'hello', version: 1, name });
        await peer.waitFor('welcome');
        peer.received.length = 0;
      }
      const probe = probeFor(input.stage, name);
      const missing = probeSwallowed(input, name) ? bytesToFrameEnd(concat([input.bytes, frameBytes(probe)])) : undefined;
      peer.writeBytes(input.bytes);
      peer.send(probe);
      if (missing !== undefined) {
        if (missing > 0) peer.writeBytes(new Uint8Array(missing));
        peer.send(probeFor(input.stage, `${name}-after`, AFTER_ID));
      }
      const answerId = missing === undefined ? PROBE_ID : AFTER_ID;
      const answered = (received: readonly Message[]): boolean => received.some((m) => (m.kind === 'response' && m.id === answerId) || m.kind === 'welcome');
      await peer.settle(answered, SETTLE_TIMEOUT_MS, 'an answer to the probe');
      if (!peer.closed) {
        peer.send({ kind: 'request', id: CONFIRM_ID, cmd: 'ipcio:discover' });
        await peer.settle((received) => received.some((m) => m.kind === 'response' && m.id === CONFIRM_ID), SETTLE_TIMEOUT_MS, 'an answer to the confirming request');
      }
      const fatal = peer.received.find((m): m is Extract<Message, { kind: 'error' }> => m.kind === 'error' && m.fatal === true);
      const settled = peer.closed ? { state: 'closed' as const, code: fatal?.error.code, fatal: fatal !== undefined } : { state: 'open' as const, code: fatal?.error.code };
      if (missing === undefined) return settled;
      const swallowedProbeAnswered = peer.received.some((m) => (m.kind === 'response' && m.id === PROBE_ID) || (m.kind === 'welcome' && m.name === name));
      return { state: 'waiting', after: settled, swallowedProbeAnswered };
    } finally {
      peer.destroy();
    }
  }

  /** What the codec says of the frame the zeros complete: its code if it refuses it. */
  function completionVerdict(input: Input, name: string): string | undefined {
    const decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME, maxFirstFrameSize: input.stage === 'pre' ? MAX_HELLO_FRAME_SIZE : undefined });
    const bytes = concat([input.bytes, frameBytes(probeFor(input.stage, name))]);
    try {
      decoder.push(bytes);
      decoder.push(new Uint8Array(bytesToFrameEnd(bytes)));
      return undefined;
    } catch (error) {
      return (error as IpcError).code;
    }
  }

  async function check(batch: Input[], concurrency = 16): Promise<void> {
    const queue = [...batch];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let input = queue.shift(); input; input = queue.shift()) {
          const verdict = codecVerdict(input);
          serial += 1;
          const name = `fz-${serial}`;
          const outcome = await run(input, name);
          inputs += 1;
          const after = outcome.after ? `>${outcome.after.state}${outcome.after.code ? `:${outcome.after.code}` : ''}` : '';
          const key = `${input.stage}:${outcome.state}${outcome.code ? `:${outcome.code}` : ''}${after}`;
          outcomes[key] = (outcomes[key] ?? 0) + 1;
          const context = { label: input.label, hex: Buffer.from(input.bytes.subarray(0, 96)).toString('hex'), verdict, outcome };
          // Never silently: a connection the server closes has first been told why, with a known code.
          const why = JSON.stringify(context);
          if (outcome.state === 'closed') expect(KNOWN.has(outcome.code ?? ''), `closed without a known code: ${why}`).toBe(true);
          // A stream the codec refuses before any message: exactly that code, and closed.
          if (verdict.code && verdict.messagesBefore === 0) expect(outcome, why).toEqual({ state: 'closed', code: verdict.code, fatal: true });
          // Bytes the codec accepts completely leave a connection either working or closed with a code
          // (run() waits for one or the other). Bytes ending inside a frame swallow the probe: it is never
          // answered, and once the frame is completed the server answers or closes with a known code, the
          // codec's own when the codec refuses the completed frame.
          if (outcome.state === 'waiting') {
            expect(verdict.code, `waiting although the codec refuses the input: ${why}`).toBeUndefined();
            expect(outcome.swallowedProbeAnswered, `a swallowed probe was answered: ${why}`).toBe(false);
            const completion = completionVerdict(input, name);
            if (completion) expect(outcome.after, why).toEqual({ state: 'closed', code: completion, fatal: true });
            else if (outcome.after?.state === 'closed') expect(KNOWN.has(outcome.after.code ?? ''), `closed without a known code: ${why}`).toBe(true);
          }
        }
      }),
    );
    expect(server.alive).toBe(true);
  }

  /** True when the bytes leave the stream inside a frame, so that the probe never comes out as itself. */
  function probeSwallowed(input: Input, name: string): boolean {
    const decoder = new FrameDecoder({ maxFrameSize: MAX_FRAME, maxFirstFrameSize: input.stage === 'pre' ? MAX_HELLO_FRAME_SIZE : undefined });
    const probe = probeFor(input.stage, name);
    try {
      decoder.push(input.bytes);
      const out = decoder.push(frameBytes(probe));
      return !out.some((m) => m.kind === probe.kind && (m.kind !== 'request' || m.id === PROBE_ID));
    } catch {
      return false; // the server's decoder would have failed too, and closed the connection with a code
    }
  }

  it('hand-picked inputs: length 2^32-1, frames just under and over the limit, deep nesting, invalid UTF-8, prototype keys, odd hellos', async () => {
    const text = (n: number): string => 'x'.repeat(n);
    const emit = (data: unknown, extra: object = {}): Uint8Array => frameBytes({ kind: 'emit', cmd: 'echo', data, ...extra } as Message);
    const special: Input[] = [
      { label: 'length 2^32-1 after welcome', stage: 'post', bytes: headerOnly(0xffff_ffff, 4) },
      { label: 'length 2^32-1 before hello', stage: 'pre', bytes: headerOnly(0xffff_ffff, 4) },
      { label: 'length 2^31 before hello', stage: 'pre', bytes: headerOnly(0x8000_0000, 0x8000_0000 - 4) },
      { label: 'json length past the frame', stage: 'post', bytes: headerOnly(10, 7) },
      { label: 'frame just under the limit', stage: 'post', bytes: emit(text(MAX_FRAME - 200)) },
      { label: 'frame one byte over the limit', stage: 'post', bytes: headerOnly(MAX_FRAME + 1, 10) },
      { label: 'hello over 256 KiB', stage: 'pre', bytes: frameBytes({ kind: 'hello', version: 1, name: 'big', commands: [text(300 * 1024)] }) },
      { label: 'deep array to the server', stage: 'post', bytes: rawJsonFrame(`{"kind":"request","id":1,"cmd":"echo","data":${nested(100_000, 'array')}}`) },
      { label: 'deep object broadcast', stage: 'post', bytes: rawJsonFrame(`{"kind":"broadcast","cmd":"deep","data":${nested(50_000, 'object')}}`) },
      { label: 'deep request to a client', stage: 'post', bytes: rawJsonFrame(`{"kind":"request","id":2,"cmd":"echo","to":"by-0","data":${nested(100_000, 'array')}}`) },
      { label: 'deep emit to a client', stage: 'post', bytes: rawJsonFrame(`{"kind":"emit","cmd":"echo","to":"by-1","data":${nested(100_000, 'array')}}`) },
      { label: 'deep hello', stage: 'pre', bytes: rawJsonFrame(`{"kind":"hello","version":1,"commands":${nested(50_000, 'array')}}`) },
      { label: 'huge string in a hello name', stage: 'pre', bytes: frameBytes({ kind: 'hello', version: 1, name: text(200 * 1024) }) },
      ...invalidUtf8.map((sequence, i): Input => ({
        label: `invalid UTF-8 #${i}`,
        stage: i % 2 === 0 ? 'post' : 'pre',
        bytes: rawJsonFrame(concat([new TextEncoder().encode('{"kind":"emit","cmd":"t","data":"'), Uint8Array.from(sequence), new TextEncoder().encode('"}')])),
      })),
      ...prototypeKeyFrames.map((bytes, i): Input => ({ label: `prototype keys #${i}`, stage: 'post', bytes })),
      { label: 'prototype keys in a hello', stage: 'pre', bytes: rawJsonFrame(`{"kind":"hello","version":1,"__proto__":{"name":"by-0"},"name":"proto"}`) },
      { label: 'hello claiming a bystander name', stage: 'pre', bytes: frameBytes({ kind: 'hello', version: 1, name: 'by-0' }) },
      { label: 'hello carrying a token (never accepted on the wire)', stage: 'pre', bytes: frameBytes({ kind: 'hello', version: 1, name: 'raw-token', token: TOKEN }) },
      { label: 'hello with a bad nonce', stage: 'pre', bytes: frameBytes({ kind: 'hello', version: 1, name: 'bad-nonce', nonce: 'xyz' }) },
      { label: 'a proof before any challenge', stage: 'pre', bytes: frameBytes({ kind: 'proof', proof: 'ab'.repeat(32) }) },
      { label: 'hello, version 2', stage: 'pre', bytes: frameBytes({ kind: 'hello', version: 2, name: 'future' }) },
      ...[0, 1, 100, -1].map((max): Input => ({ label: `hello with maxFrameSize ${max}`, stage: 'pre', bytes: frameBytes({ kind: 'hello', version: 1, name: `small-${max}`, maxFrameSize: max }) })),
      { label: 'a second hello after the welcome', stage: 'post', bytes: frameBytes({ kind: 'hello', version: 1, name: 'again' }) },
      { label: 'a welcome from a client', stage: 'post', bytes: frameBytes({ kind: 'welcome', version: 1, name: 'n', uuid: 'u', session: 's', serverName: 'x', maxFrameSize: 1 }) },
      { label: 'an emit before the hello', stage: 'pre', bytes: emit(1) },
      { label: 'binary data under constructor, by hand', stage: 'post', bytes: rawJsonFrame('{"kind":"emit","cmd":"x","data":{"constructor":null},"bin":[{"path":["data","constructor"],"length":1}]}', [Uint8Array.of(1)]) },
    ];
    await check(special, 4);
    // Nested deeper than the protocol's limit (and than V8's JSON.stringify could re-encode): refused on arrival, never relayed.
    for (const [label, head] of [['a request', '{"kind":"request","id":3,'], ['an emit', '{"kind":"emit",']] as const) {
      const peer = await RawPeer.connect(socket.socketPath);
      peer.send({ kind: 'hello', version: 1, name: `deep-${label.length}` });
      await peer.waitFor('welcome');
      peer.writeBytes(rawJsonFrame(`${head}"cmd":"echo","to":"by-0","data":${nested(100_000, 'array')}}`));
      const answer = await peer.waitFor('error');
      expect(answer, label).toMatchObject({ fatal: true, error: { code: 'NESTING_TOO_DEEP' } });
      await peer.waitClosed();
      peer.destroy();
    }
  });

  it('generated and mutated inputs, before the hello and after the welcome', async () => {
    const count = scale(1_200, 30_000);
    const encodable = (messages: Message[]): Uint8Array | undefined => {
      try {
        return concat(messages.map(frameBytes));
      } catch {
        return undefined; // binary data under a prototype key: the encoder refuses it (see fuzz-codec)
      }
    };
    const input: fc.Arbitrary<Input | undefined> = fc.oneof(
      fc.tuple(hello(TOKEN), fc.array(mutation, { maxLength: 4 })).map(([h, m]) => ({ label: 'hello, mutated', stage: 'pre' as const, bytes: mutate(frameBytes(h), m) })),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ label: 'random bytes before hello', stage: 'pre' as const, bytes })),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({ label: 'random bytes after welcome', stage: 'post' as const, bytes })),
      fc.array(clientMessage, { minLength: 1, maxLength: 3 }).map((messages) => {
        const bytes = encodable(messages);
        return bytes && { label: 'valid messages', stage: 'post' as const, bytes };
      }),
      fc.tuple(fc.array(clientMessage, { minLength: 1, maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 5 })).map(([messages, m]) => {
        const bytes = encodable(messages);
        return bytes && { label: 'messages, mutated', stage: 'post' as const, bytes: mutate(bytes, m) };
      }),
    );
    const batch = fc.sample(input, { numRuns: count, seed }).filter((i): i is Input => i !== undefined);
    await check(batch);
  }, scale(60_000, 900_000));

  it('afterwards: the server is alive, its memory bounded, and the bystanders missed nothing', async () => {
    const summaries = await bystanders.call<ClientSummary[]>('stopStream');
    const settled = await bystanders.call<ClientSummary[]>('settle', 10_000);
    await until(async () => {
      const stats = await server.call<ServerStats>('stats');
      return summaries.every((c) => (stats.streams[c.name]?.last ?? -1) === c.sent - 1);
    }, 10_000, 'every bystander emit');
    const stats = await server.call<ServerStats>('stats');
    const memory = await server.call<ServerMemory>('memory');
    for (const c of summaries) {
      expect(stats.streams[c.name]).toMatchObject({ first: 0, last: c.sent - 1, count: c.sent, violations: 0 });
    }
    for (const c of settled) {
      expect({ name: c.name, pending: c.pending, failed: c.requests.byCode, bad: c.requests.bad }).toEqual({ name: c.name, pending: 0, failed: {}, bad: 0 });
    }
    // Every fuzzing connection is gone (a closing one may take its one-second grace).
    await until(async () => (await server.call<string[]>('clients')).length === 2, 5_000, 'fuzzing peers to be gone');
    expect(await server.call<string[]>('clients')).toEqual(['by-0', 'by-1']);
    const growth = memory.rssHwm - baseline.rssHwm;
    expect(growth).toBeLessThan(256 * MiB);
    reportFigures('fuzz/live server', {
      seed,
      inputs,
      bystanderEmits: summaries.reduce((n, c) => n + c.sent, 0),
      bystanderRequestsOk: settled.reduce((n, c) => n + c.requests.ok, 0),
      bystanderFailures: 0,
      serverRssBaselineMiB: mib(baseline.rssHwm),
      serverRssHwmMiB: mib(memory.rssHwm),
      serverErrors: JSON.stringify(stats.errors),
      outcomes: JSON.stringify(outcomes),
    });
  });
});
