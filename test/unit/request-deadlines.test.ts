import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RequestDeadlines, type Timed } from '../../lib/common/request-deadlines.js';

class Item implements Timed {
  deadlineAt = 0;
  live = true;
  constructor(readonly name: string) {}
}

describe('RequestDeadlines (one timer for every request timeout)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function tracker(): { deadlines: RequestDeadlines<Item>; expired: string[]; settle: (item: Item) => void } {
    const expired: string[] = [];
    const deadlines = new RequestDeadlines<Item>((item) => {
      expired.push(item.name);
      settle(item);
    });
    const settle = (item: Item): void => {
      item.live = false;
      deadlines.settled();
    };
    return { deadlines, expired, settle };
  }

  it('expires mixed timeouts in deadline order, none early, and never a settled one', async () => {
    const { deadlines, expired, settle } = tracker();
    const long = new Item('long-300');
    const short = new Item('short-100');
    const answered = new Item('answered-100');
    const later = new Item('later-200');
    deadlines.add(long, 300);
    deadlines.add(short, 100);
    deadlines.add(answered, 100);
    await vi.advanceTimersByTimeAsync(50);
    deadlines.add(later, 150); // due at 200
    settle(answered);
    await vi.advanceTimersByTimeAsync(49);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(['short-100']);
    await vi.advanceTimersByTimeAsync(99);
    expect(expired).toEqual(['short-100']);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual(['short-100', 'later-200']);
    await vi.advanceTimersByTimeAsync(100);
    expect(expired).toEqual(['short-100', 'later-200', 'long-300']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps one timer however many requests are in flight', () => {
    const { deadlines } = tracker();
    for (let i = 0; i < 1000; i += 1) deadlines.add(new Item(`r${i}`), 30_000);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('does not pile up settled requests behind one that stays', async () => {
    const { deadlines, expired, settle } = tracker();
    const stays = new Item('stays');
    deadlines.add(stays, 1000);
    for (let i = 0; i < 100_000; i += 1) {
      const item = new Item(`r${i}`);
      deadlines.add(item, 1000);
      settle(item);
    }
    const queued = (deadlines as unknown as { queues: Map<number, { items: Item[]; head: number }> }).queues.get(1000);
    expect(queued!.items.length).toBeLessThan(2 * 1024 + 10);
    await vi.advanceTimersByTimeAsync(1000);
    expect(expired).toEqual(['stays']);
  });
});
