import { describe, expect, it } from 'vitest';
import { BroadcastQueue, type BroadcastRecipient } from '../../lib/common/broadcast-queue.js';
import { SharedMessage } from '../../lib/common/shared-message.js';

/** A recipient that records what it was written, and what else was sent to it, in order. */
class Recipient implements BroadcastRecipient {
  readonly written: string[] = [];
  private owed: SharedMessage[] = [];
  owe(shared: SharedMessage): void {
    this.owed.push(shared);
  }
  payOwed(): void {
    const owed = this.owed;
    this.owed = [];
    for (const shared of owed) this.written.push((shared.message as { cmd: string }).cmd);
  }
  /** A direct message: what is owed goes first, as PeerConnection.send does. */
  sendDirect(cmd: string): void {
    this.payOwed();
    this.written.push(cmd);
  }
}

const broadcastOf = (cmd: string): SharedMessage => new SharedMessage({ kind: 'broadcast', cmd, data: null });

/** A clock that moves 1 ms per reading: the queue's slicing becomes exact. */
function steppingClock(): () => number {
  let t = 0;
  return () => t++;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

describe('BroadcastQueue', () => {
  it('writes the first recipients at once and the rest over later turns', async () => {
    const queue = new BroadcastQueue(1, steppingClock());
    const recipients = Array.from({ length: 200 }, () => new Recipient());
    queue.send(broadcastOf('b1'), recipients);
    const writtenAtOnce = recipients.filter((r) => r.written.length === 1).length;
    expect(writtenAtOnce).toBe(32); // one clock reading per 32 recipients; the 1 ms slice ends at the first
    expect(queue.waiting).toBe(168);
    while (queue.waiting > 0) await nextTurn();
    expect(recipients.every((r) => r.written.join() === 'b1')).toBe(true);
    expect(queue.slices).toBe(Math.ceil(200 / 32));
  });

  it('keeps each recipient’s order when direct messages interleave with sliced broadcasts', async () => {
    const queue = new BroadcastQueue(1, steppingClock());
    const recipients = Array.from({ length: 100 }, () => new Recipient());
    const expected: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      queue.send(broadcastOf(`b${i}`), recipients);
      expected.push(`b${i}`);
      // Sent while most recipients still wait for the broadcast: it must not overtake it.
      for (const r of recipients) r.sendDirect(`d${i}`);
      expected.push(`d${i}`);
    }
    queue.send(broadcastOf('last'), recipients);
    expected.push('last');
    while (queue.waiting > 0) await nextTurn();
    for (const r of recipients) expect(r.written).toEqual(expected);
  });

  it('runs a later broadcast after the earlier one, also for recipients it reaches first', async () => {
    const queue = new BroadcastQueue(1, steppingClock());
    const recipients = Array.from({ length: 64 }, () => new Recipient());
    queue.send(broadcastOf('first'), recipients);
    queue.send(broadcastOf('second'), [...recipients].reverse());
    while (queue.waiting > 0) await nextTurn();
    for (const r of recipients) expect(r.written).toEqual(['first', 'second']);
  });
});

describe('SharedMessage', () => {
  it('encodes once: every port gets the very same frame bytes', () => {
    const shared = new SharedMessage({ kind: 'broadcast', cmd: 'tick', data: 'x'.repeat(10_000) });
    const first = shared.socketFrame();
    expect(shared.socketFrame()).toBe(first);
    expect(shared.socketFrame().chunks[0]).toBe(first.chunks[0]);
    let encodings = 0;
    const encode = (): Uint8Array => {
      encodings += 1;
      return new Uint8Array(3);
    };
    expect(shared.encodedBy(encode)).toBe(shared.encodedBy(encode));
    expect(encodings).toBe(1);
  });

  it('remembers an encoding failure and throws it to every port', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200; i += 1) deep = [deep];
    const shared = new SharedMessage({ kind: 'broadcast', cmd: 'deep', data: deep });
    expect(() => shared.socketFrame()).toThrow(expect.objectContaining({ code: 'NESTING_TOO_DEEP' }));
    expect(() => shared.socketFrame()).toThrow(expect.objectContaining({ code: 'NESTING_TOO_DEEP' }));
  });
});
