import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { DISCOVER_COMMAND, MessageKind, type Message } from '../../lib/common/messages.js';
import { PROTOCOL } from '../../lib/common/protocol.js';
import { IpcClient, IpcServer } from '../../lib/node/index.js';
import { runCli } from '../cli/cli-process.js';
import { RawPeer } from '../support/raw-peer.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { mib, reportFigures, startServer, stopAllChildren, type ServerMemory, type ServerStats } from './support/harness.js';
import { quiet } from '../support/deferred.js';

const { maxAnnounced, maxNameLength } = PROTOCOL.commands;

async function join(path: string, name: string, fields: Partial<Extract<Message, { kind: 'hello' }>> = {}): Promise<RawPeer> {
  const peer = await RawPeer.connect(path);
  peer.send({ kind: MessageKind.Hello, version: 1, name, ...fields });
  await until(() => peer.received.length > 0, 10_000, `the answer to ${name}'s hello`);
  return peer;
}

function responseTo(peer: RawPeer, id: number): Extract<Message, { kind: 'response' }> | undefined {
  return peer.received.find((m): m is Extract<Message, { kind: 'response' }> => m.kind === MessageKind.Response && m.id === id);
}

/** The longest list a peer may announce, of names that JSON escapes to 6 bytes a character (U+0001). */
function widestList(seed: number): string[] {
  return Array.from({ length: maxAnnounced }, (_, i) => `${seed}-${i}-`.padEnd(maxNameLength, '\u0001'));
}

describe('announced command lists are bounded, and every reply is answered (issue 11, item 4)', () => {
  afterAll(() => stopAllChildren());

  it('a hello over the bounds is refused with COMMAND_LIST_TOO_LARGE (fatal, no retry); a commands message over them gets a non-fatal error and the old list stays', async () => {
    const socket = tempSocket();
    const server = await startServer({ socketPath: socket.socketPath });
    try {
      const tooMany = await join(socket.socketPath, 'too-many', { commands: Array.from({ length: maxAnnounced + 1 }, (_, i) => `c${i}`) });
      const tooLong = await join(socket.socketPath, 'too-long', { commands: ['x'.repeat(maxNameLength + 1)] });
      for (const peer of [tooMany, tooLong]) {
        expect(peer.received[0]).toMatchObject({ kind: MessageKind.Error, fatal: true, retry: false, error: { code: ErrorCode.COMMAND_LIST_TOO_LARGE } });
        await peer.waitClosed();
      }
      const fine = await join(socket.socketPath, 'fine', { commands: ['a', 'b'] });
      expect(fine.received[0]?.kind).toBe(MessageKind.Welcome);
      fine.send({ kind: MessageKind.Commands, commands: Array.from({ length: maxAnnounced + 1 }, (_, i) => `c${i}`) });
      fine.send({ kind: MessageKind.Request, id: 1, cmd: DISCOVER_COMMAND });
      await until(() => responseTo(fine, 1) !== undefined, 10_000, 'discover');
      expect(fine.received.find((m) => m.kind === MessageKind.Error)).toMatchObject({ error: { code: ErrorCode.COMMAND_LIST_TOO_LARGE } });
      expect((responseTo(fine, 1)?.data as { peers: Record<string, string[]> }).peers.fine).toEqual(['a', 'b']);
      expect(fine.closed).toBe(false);
      fine.socket.destroy();
    } finally {
      await server.stop();
      socket.cleanup();
    }
  });

  it('the Node client refuses locally, before adding any, handlers that would take its list over the bounds', () => {
    const many = Object.fromEntries(Array.from({ length: maxAnnounced + 1 }, (_, i) => [`c${i}`, () => i]));
    expect(() => new IpcClient({ socketPath: '/nonexistent/s.sock', logger: quiet }, many)).toThrow(expect.objectContaining({ code: ErrorCode.COMMAND_LIST_TOO_LARGE }));
    const client = new IpcClient({ socketPath: '/nonexistent/s.sock', logger: quiet }, { first: () => 1 });
    const rest = Object.fromEntries(Array.from({ length: maxAnnounced }, (_, i) => [`r${i}`, () => i]));
    expect(() => client.addHandlers(rest)).toThrow(expect.objectContaining({ code: ErrorCode.COMMAND_LIST_TOO_LARGE }));
    expect(() => client.addHandlers({ ['x'.repeat(maxNameLength + 1)]: () => 1 })).toThrow(expect.objectContaining({ code: ErrorCode.COMMAND_LIST_TOO_LARGE }));
    // Nothing was added: one more fits.
    client.addHandlers({ second: () => 2 });
  });

  it('a server handler result that cannot be encoded (a BigInt, a cycle) is answered with an error, not silence', async () => {
    const socket = tempSocket();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const server = new IpcServer({ socketPath: socket.socketPath, logger: quiet }, { big: () => 10n, cyclic: () => cycle, fine: () => 'ok' }).start();
    await server.ready;
    const client = new IpcClient({ socketPath: socket.socketPath, name: 'asker', logger: quiet }).connect();
    try {
      await client.ready;
      for (const command of ['big', 'cyclic']) {
        const outcome = await client.request(command, null, { timeoutMs: 60_000 }).then(
          () => 'resolved',
          (error: IpcError) => error,
        );
        expect(outcome, command).toBeInstanceOf(IpcError);
        expect((outcome as IpcError).code, command).not.toBe(ErrorCode.TIMEOUT);
        expect((outcome as IpcError).message, command).toMatch(/the result could not be sent/);
      }
      expect(await client.request('fine')).toBe('ok');
    } finally {
      await client.close();
      await server.close();
      socket.cleanup();
    }
  });

  it('an error answer whose data does not fit the requester comes back as FRAME_TOO_LARGE, not silence', async () => {
    const socket = tempSocket();
    const server = await startServer({ socketPath: socket.socketPath });
    const requester = new IpcClient({ socketPath: socket.socketPath, name: 'small', maxFrameSize: 64 * 1024, logger: quiet, reconnect: false }).connect();
    try {
      const target = await join(socket.socketPath, 'target');
      await requester.ready;
      const answered = requester.requestFrom('target', 'anything', null, { timeoutMs: 60_000 }).then(
        () => 'resolved',
        (error: IpcError) => error,
      );
      await until(() => target.received.some((m) => m.kind === MessageKind.Request), 10_000, 'the forwarded request');
      const forwarded = target.received.find((m): m is Extract<Message, { kind: 'request' }> => m.kind === MessageKind.Request)!;
      target.send({ kind: MessageKind.Response, id: forwarded.id, error: { code: ErrorCode.HANDLER_ERROR, message: 'big', data: 'x'.repeat(200_000) } });
      const outcome = await answered;
      expect(outcome).toBeInstanceOf(IpcError);
      expect((outcome as IpcError).code).toBe(ErrorCode.FRAME_TOO_LARGE);
      expect((outcome as IpcError).message).toMatch(/the error HANDLER_ERROR could not be sent/);
      target.socket.destroy();
    } finally {
      await requester.close();
      await server.stop();
      socket.cleanup();
    }
  });

  it('100 peers announcing the widest lists: discover answers FRAME_TOO_LARGE instead of hanging, and ipcio emit still exits 0', async () => {
    const socket = tempSocket();
    const server = await startServer({ socketPath: socket.socketPath });
    const peers: RawPeer[] = [];
    try {
      const before = await server.call<ServerMemory>('resetHwm');
      for (let i = 0; i < 100; i += 1) {
        const peer = await join(socket.socketPath, `wide-${i}`);
        peer.send({ kind: MessageKind.Commands, commands: widestList(i) });
        // Its list is in once this answer is back (one connection's messages are handled in order).
        peer.send({ kind: MessageKind.Request, id: 1, cmd: 'ipcio:wait', data: { name: `wide-${i}` } });
        await until(() => responseTo(peer, 1) !== undefined, 10_000, 'the barrier');
        peers.push(peer);
      }
      const asker = await join(socket.socketPath, 'asker');
      asker.send({ kind: MessageKind.Request, id: 7, cmd: DISCOVER_COMMAND });
      await until(() => responseTo(asker, 7) !== undefined, 60_000, 'the discover answer');
      expect(responseTo(asker, 7)?.error?.code).toBe(ErrorCode.FRAME_TOO_LARGE);
      expect(asker.closed).toBe(false);

      const discover = await runCli(['discover', '--socket', socket.socketPath], { timeoutMs: 60_000 });
      expect(discover.code).not.toBe(0);
      expect(discover.code).not.toBe(4); // an answer, not a timeout
      expect(discover.stderr).toContain(ErrorCode.FRAME_TOO_LARGE);
      const emit = await runCli(['emit', '--socket', socket.socketPath, 'seq', '0'], { timeoutMs: 60_000 });
      expect(emit.stderr).toBe('');
      expect(emit.code).toBe(0);
      const stats = await server.call<ServerStats>('stats');
      expect(Object.keys(stats.streams).some((key) => key.startsWith('ipcio-cli-'))).toBe(true);
      const after = await server.call<ServerMemory>('memory');
      reportFigures('wide command lists', {
        peers: peers.length,
        namesEach: maxAnnounced,
        discoverAnswer: responseTo(asker, 7)?.error?.code,
        cliDiscoverExit: discover.code,
        cliEmitExit: emit.code,
        rssBeforeMiB: mib(before.rssHwm),
        rssHighWaterMiB: mib(after.rssHwm),
      });
    } finally {
      for (const peer of peers) peer.socket.destroy();
      await server.stop();
      socket.cleanup();
    }
  });
});
