import { describe, expect, it } from 'vitest';
import { MAX_WINDOW_NUMBER, WindowNames } from '../../src/main/browser-mode/window-names.js';

describe("browser mode's page names", () => {
  it('names pages window-1, window-2, ... as Electron names its windows', () => {
    const names = new WindowNames();
    expect(names.forPage(undefined)).toBe('window-1');
    expect(names.next()).toBe('window-2');
    expect(names.forPage(undefined)).toBe('window-3');
  });

  it('gives a reloaded page its window name back, and never hands that number out again', () => {
    const names = new WindowNames();
    expect(names.forPage('window-7')).toBe('window-7');
    expect(names.next()).toBe('window-8');
  });

  it("refuses any other name: a page cannot take a helper's", () => {
    const names = new WindowNames();
    for (const name of ['hasher', 'sysload', 'main', 'window-0', 'window-01', 'window-x', 'window-1 ', 'window-1234567890123456']) {
      expect(names.forPage(name)).toBe(false);
    }
  });

  it('keeps counting past window-999999 and takes every name it handed out back on a reload (issue 11, item 13)', () => {
    const names = new WindowNames();
    expect(names.forPage('window-999999')).toBe('window-999999');
    const after = names.next();
    expect(after).toBe('window-1000000');
    // A reload asks for the same name: the rule must accept what next() produced.
    expect(new WindowNames().forPage(after)).toBe('window-1000000');
    expect(names.forPage(`window-${MAX_WINDOW_NUMBER}`)).toBe(`window-${MAX_WINDOW_NUMBER}`);
    expect(() => names.next()).toThrow(/every window number/);
    expect(names.forPage(undefined)).toBe(false);
    expect(names.forPage(`window-${MAX_WINDOW_NUMBER + 1}`)).toBe(false);
  });
});
