import { describe, expect, it } from 'vitest';
import { ConnectionGate, type ConnectionState } from '../../lib/browser/connection-gate.js';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';

/** The page's connection gate alone (pure unit): what happens to calls as the WebSocket comes and goes. The real page is in e2e/browser-mode/connection.spec.ts. */
describe('ConnectionGate', () => {
  const closed = new IpcError(ErrorCode.DISCONNECTED, 'the WebSocket closed (1001 server closing)');

  function gateWithLog(): { gate: ConnectionGate; log: [ConnectionState, string | undefined][] } {
    const log: [ConnectionState, string | undefined][] = [];
    return { gate: new ConnectionGate((state, error) => log.push([state, error?.message])), log };
  }

  /** A call the endpoint never answers, and the signal the gate gave it. */
  function hangingCall(gate: ConnectionGate, callerSignal?: AbortSignal): { result: Promise<unknown>; signal: () => AbortSignal | undefined } {
    let given: AbortSignal | undefined;
    const result = gate.request((signal) => {
      given = signal;
      return new Promise(() => undefined);
    }, callerSignal);
    return { result, signal: () => given };
  }

  it('passes calls through while connecting and connected, with their results and errors', async () => {
    const { gate } = gateWithLog();
    await expect(gate.request(async () => 'early', undefined)).resolves.toBe('early');
    gate.connected();
    await expect(gate.request(async () => 42, undefined)).resolves.toBe(42);
    const failure = new IpcError(ErrorCode.NO_HANDLER, 'none');
    await expect(gate.request(() => Promise.reject(failure), undefined)).rejects.toBe(failure);
  });

  it('fails a waiting request with DISCONNECTED the moment the connection is lost, and aborts its signal so the endpoint drops it', async () => {
    const { gate, log } = gateWithLog();
    gate.connected();
    const waiting = hangingCall(gate);
    gate.lost(closed);
    await expect(waiting.result).rejects.toMatchObject({ code: 'DISCONNECTED', message: 'no connection to the app (the WebSocket closed (1001 server closing)); reconnecting' });
    expect(waiting.signal()?.aborted).toBe(true);
    // The listener hears why the WebSocket closed; calls get DISCONNECTED.
    expect(log).toEqual([
      ['connected', undefined],
      ['disconnected', 'the WebSocket closed (1001 server closing)'],
    ]);
  });

  it('refuses new calls at once while disconnected, emits included, and lets them through again once reconnected', async () => {
    const { gate } = gateWithLog();
    gate.connected();
    gate.lost(closed);
    let started = false;
    await expect(
      gate.request(async () => {
        started = true;
      }, undefined),
    ).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(started).toBe(false);
    expect(() => gate.check()).toThrow(/no connection to the app/);
    gate.lost(closed); // a failed reconnect attempt changes nothing
    gate.connected();
    expect(() => gate.check()).not.toThrow();
    await expect(gate.request(async () => 'back', undefined)).resolves.toBe('back');
  });

  it('fails everything with the refusal itself, for good', async () => {
    const { gate, log } = gateWithLog();
    const waiting = hangingCall(gate);
    const refusal = new IpcError(ErrorCode.ORIGIN_REFUSED, 'the server refused the connection (4403 ORIGIN_REFUSED)');
    gate.refused(refusal);
    await expect(waiting.result).rejects.toBe(refusal);
    await expect(gate.request(async () => 'no', undefined)).rejects.toBe(refusal);
    gate.connected();
    gate.lost(closed);
    expect(gate.state).toBe('refused');
    expect(log.map(([state]) => state)).toEqual(['refused']);
  });

  it("keeps the caller's own signal working alongside the gate's", () => {
    const { gate } = gateWithLog();
    const caller = new AbortController();
    const call = hangingCall(gate, caller.signal);
    call.result.catch(() => undefined);
    expect(call.signal()?.aborted).toBe(false);
    caller.abort();
    expect(call.signal()?.aborted).toBe(true);
  });
});
