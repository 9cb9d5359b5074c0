import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode, IpcError } from '../../lib/common/errors.js';
import { PendingRequests, type PendingRequest } from '../../lib/common/pending-requests.js';
import { codeOf } from '../support/deferred.js';

describe('PendingRequests', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('numbers requests from one counter shared with allocateId, and settles each once', async () => {
    const pending = new PendingRequests(1_000, () => undefined);
    const a = pending.create('a');
    expect(pending.allocateId()).toBe(2);
    const b = pending.create('b');
    expect([a.request.id, b.request.id]).toEqual([1, 3]);
    pending.resolve(1, 'first');
    pending.reject(1, new IpcError(ErrorCode.TIMEOUT, 'too late'));
    expect(await a.promise).toBe('first');
    pending.reject(3, new IpcError(ErrorCode.DISCONNECTED, 'gone'));
    pending.resolve(3, 'too late');
    expect(await codeOf(b.promise)).toBe(ErrorCode.DISCONNECTED);
    expect(pending.size).toBe(0);
  });

  it('a timeout rejects with TIMEOUT at the deadline and tells the owner; an abort rejects with CANCELLED', async () => {
    const givenUp: PendingRequest[] = [];
    const pending = new PendingRequests(1_000, (request) => givenUp.push(request));
    const timed = pending.create('t', { timeoutMs: 200 });
    const timedCode = codeOf(timed.promise);
    const controller = new AbortController();
    const aborted = pending.create('a', { signal: controller.signal, timeoutMs: 0 });
    await vi.advanceTimersByTimeAsync(199);
    expect(pending.size).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(await timedCode).toBe(ErrorCode.TIMEOUT);
    controller.abort();
    expect(await codeOf(aborted.promise)).toBe(ErrorCode.CANCELLED);
    expect(givenUp.map((r) => r.id)).toEqual([timed.request.id, aborted.request.id]);
    expect(pending.size).toBe(0);
  });

  it('an already aborted signal rejects at once and keeps no entry', async () => {
    const pending = new PendingRequests(1_000, () => undefined);
    const { request, promise } = pending.create('x', { signal: AbortSignal.abort() });
    expect(pending.get(request.id)).toBeUndefined();
    expect(await codeOf(promise)).toBe(ErrorCode.CANCELLED);
  });

  it('rejectWhere rejects only the selected requests', async () => {
    const pending = new PendingRequests(1_000, () => undefined);
    const sent = pending.create('sent');
    sent.request.sent = true;
    const queued = pending.create('queued');
    pending.rejectWhere(new IpcError(ErrorCode.DISCONNECTED, 'lost'), (r) => r.sent);
    expect(await codeOf(sent.promise)).toBe(ErrorCode.DISCONNECTED);
    expect(pending.get(queued.request.id)).toBeDefined();
  });
});
