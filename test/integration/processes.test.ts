import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PeerProcess, type RemoteError } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';

/** Server and three named clients, each in its own process, over a real Unix socket. */
describe('server and three clients in separate processes', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: PeerProcess;
  let alpha: PeerProcess;
  let beta: PeerProcess;
  let gamma: PeerProcess;

  beforeEach(async () => {
    socket = tempSocket();
    server = PeerProcess.start({ role: 'server', socketPath: socket.socketPath, serverName: 'main' });
    await server.waitFor((e) => e.event === 'ready');
    const client = (name: string): PeerProcess => PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name });
    alpha = client('alpha');
    beta = client('beta');
    gamma = client('gamma');
    await Promise.all([alpha, beta, gamma].map((p) => p.call('ready')));
  });

  afterEach(async () => {
    await Promise.all([alpha, beta, gamma, server].map((p) => p?.stop()));
    socket.cleanup();
  });

  it('emits to the server, which sees the sender by name', async () => {
    await alpha.call('emit', 'record', { text: '}{ \f \n ż😀' });
    const event = await server.waitFor((e) => e.event === 'received');
    expect(event).toMatchObject({ command: 'record', data: { text: '}{ \f \n ż😀' }, from: 'alpha' });
  });

  it('requests both ways: client to server, server to client, client to client', async () => {
    expect(await alpha.call('request', 'double', 21)).toBe(42);
    expect(await server.call('serverRequest', 'beta', 'double', 4)).toBe(8);
    expect(await gamma.call('requestFrom', 'alpha', 'echo', 'hi')).toEqual({ data: 'hi', from: 'gamma' });
  });

  it('routes emitTo to one client and broadcast to every other client', async () => {
    await alpha.call('emitTo', 'beta', 'record', 1);
    await beta.waitFor((e) => e.event === 'received' && e.data === 1 && e.from === 'alpha');
    await alpha.call('broadcast', 'tick', 'all');
    await beta.waitFor((e) => e.event === 'received' && e.command === 'tick');
    await gamma.waitFor((e) => e.event === 'received' && e.command === 'tick');
    await server.call('serverEmit', 'gamma', 'record', 'from main');
    await gamma.waitFor((e) => e.event === 'received' && e.data === 'from main' && e.from === 'main');
    // The sender does not hear its own broadcast.
    await alpha.call('wait', 100);
    expect(alpha.eventsNamed('received')).toEqual([]);
  });

  it('reports NO_SUCH_CLIENT for an emitTo to an unknown name, on the error event', async () => {
    await alpha.call('emitTo', 'nobody', 'record', 1);
    const error = await alpha.waitFor((e) => e.event === 'error');
    expect(error.code).toBe('NO_SUCH_CLIENT');
  });

  it('discovers every client, the server commands and each client commands', async () => {
    const found = await beta.call<{ clients: string[]; commands: string[]; peers: Record<string, string[]> }>('discover');
    expect(found.clients.sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(found.commands).toContain('double');
    expect(found.peers.alpha).toContain('slow');
  });

  it('carries thrown errors with HANDLER_ERROR, the message and the remote code', async () => {
    const error = await alpha.call('requestFrom', 'beta', 'fail').catch((e: RemoteError) => e);
    expect(error).toEqual({ code: 'HANDLER_ERROR', message: 'fixture handler failed on purpose', remoteCode: 'E_FIXTURE' });
    const missing = await alpha.call('request', 'unknown-command').catch((e: RemoteError) => e);
    expect(missing).toMatchObject({ code: 'NO_HANDLER' });
    const unknownTarget = await alpha.call('requestFrom', 'nobody', 'double', 1).catch((e: RemoteError) => e);
    expect(unknownTarget).toMatchObject({ code: 'NO_SUCH_CLIENT' });
  });

  it('times out a request with TIMEOUT and cancels the handler on the far side', async () => {
    const error = await alpha.call('requestFrom', 'beta', 'slow', { ms: 60_000 }, { timeoutMs: 200 }).catch((e: RemoteError) => e);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    await beta.waitFor((e) => e.event === 'handler-aborted');
  });

  it('cancels with an AbortSignal: CANCELLED for the caller, the handler signal fires', async () => {
    const error = await alpha.call('requestAndAbort', 'gamma', 'slow', { ms: 60_000 }, 100).catch((e: RemoteError) => e);
    expect(error).toMatchObject({ code: 'CANCELLED' });
    const aborted = await gamma.waitFor((e) => e.event === 'handler-aborted');
    expect(aborted.code).toBe('CANCELLED');
    // A request to the server itself is cancelled the same way.
    await alpha.call('requestAndAbort', null, 'slow', { ms: 60_000 }, 100).catch(() => undefined);
    await server.waitFor((e) => e.event === 'handler-aborted');
  });

  it('refuses a second client with a taken name, leaving the first untouched', async () => {
    const impostor = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'alpha' });
    const error = await impostor.call('ready').catch((e: RemoteError) => e);
    expect(error).toMatchObject({ code: 'NAME_TAKEN' });
    expect(await alpha.call('request', 'double', 1)).toBe(2);
    await impostor.stop();
  });

  it('frees a name as soon as its client disconnects', async () => {
    await beta.stop();
    await server.waitFor((e) => e.event === 'client-disconnected' && e.name === 'beta');
    const again = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'beta' });
    await again.call('ready');
    expect(await alpha.call('requestFrom', 'beta', 'double', 3)).toBe(6);
    beta = again;
  });

  it('rejects a request in flight with DISCONNECTED when the target dies, at once', async () => {
    const pending = alpha.call('requestFrom', 'gamma', 'slow', { ms: 60_000 }, { timeoutMs: 0 }).catch((e: RemoteError) => e);
    await alpha.call('wait', 100);
    const started = Date.now();
    await gamma.kill('SIGKILL');
    expect(await pending).toMatchObject({ code: 'DISCONNECTED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('keeps per-sender order for a burst of client-to-client emits', async () => {
    const sent = await alpha.call<number>('emitSeqBurst', 2_000, 'beta');
    await until(() => beta.eventsNamed('seq').length === sent, 15_000, 'all 2,000 emits');
    expect(beta.eventsNamed('seq').map((e) => e.n)).toEqual(Array.from({ length: sent }, (_, i) => i));
  });

  it('round-trips 8 MiB of binary data as bytes', async () => {
    // The fixture echoes; the child reports the bytes back over Node IPC with structured clone.
    const bytes = new Uint8Array(8 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
    const result = await alpha.call<{ data: { blob: Uint8Array } }>('requestFrom', 'beta', 'echo', { blob: bytes });
    expect(result.data.blob).toBeInstanceOf(Uint8Array);
    expect(result.data.blob.byteLength).toBe(bytes.byteLength);
    expect(Buffer.compare(Buffer.from(result.data.blob), Buffer.from(bytes))).toBe(0);
  });
});
