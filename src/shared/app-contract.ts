/**
 * The sidecar console's contract: every command main, the windows and the
 * helpers exchange, in one place. Main and the renderer take their types
 * from it; the helpers (JavaScript, Python) are checked by the e2e tests.
 * Types only: nothing here exists at run time.
 */
import type { Command, Stream } from 'ipcio/contract';

export interface HashResult {
  algorithm: 'sha256';
  hex: string;
  bytes: number;
  source: string;
}

/** One step of the hasher's long hash stream: after each MiB; the last one carries the result. */
export interface LongHashStep {
  done: number;
  total: number;
  result?: HashResult;
}

/** What the hasher emits to the window that asked when a long hash was cancelled: where it really stopped. */
export interface Progress {
  job: string;
  done: number;
  total: number;
  state: 'working' | 'done' | 'cancelled';
}

export interface LoadSample {
  loadavg: [number, number, number];
  cpus: number;
  /** Seconds since the epoch. */
  at: number;
  pid: number;
}

export interface PeerNotice {
  name: string;
  kind: string;
}

export interface HelperStatus {
  name: string;
  /** undefined while it is down, between a kill and its restart. */
  pid: number | undefined;
  restarts: number;
  language: 'node' | 'python';
}

export type AppMode = 'electron' | 'browser';

/** Windows are named by main: window-1, window-2, ... */
export type WindowName = `window-${number}`;

export type AppContract = {
  server: {
    /** The caller's own name, and how the app runs. */
    whoami: Command<undefined, { name: string; mode: AppMode }>;
    /** Opens another window: Electron opens it; browser mode answers the URL for the page to open. */
    newWindow: Command<undefined, { name: WindowName; url?: string }>;
    helpers: Command<undefined, HelperStatus[]>;
    /** SIGKILLs the helper's process; the supervisor restarts it. */
    killHelper: Command<{ name: string }, { pid: number }>;
  };
  clients: {
    hasher: {
      hashText: Command<{ text: string }, HashResult>;
      hashFile: Command<{ path: string }, HashResult>;
      /** A stream: one step per MiB hashed, the last with the digest. Breaking out of the loop stops the hasher. */
      longHash: Stream<{ job: string; megabytes: number }, LongHashStep>;
    };
    sysload: {
      sample: Command<undefined, LoadSample>;
      info: Command<undefined, { python: string; platform: string; pid: number }>;
      /** A live feed: a sample every `everyMs`, numbered from 1. Not reading pauses it; breaking out stops it. */
      samples: Stream<{ everyMs: number }, LoadSample & { n: number }>;
      /** How far the latest `samples` run got, and whether its generator is still running. */
      samplesState: Command<undefined, { yielded: number; running: boolean }>;
    };
  } & {
    [window: WindowName]: {
      progress: Command<Progress>;
      /** Window to window: the page answers with its own name, so a call to another window shows who answered. */
      greet: Command<{ text: string }, { answeredBy: string; text: string }>;
    };
  };
  broadcasts: {
    load: LoadSample;
    peerJoined: PeerNotice;
    peerLeft: PeerNotice;
  };
};

/** The helpers main supervises, by name. */
export const HELPER_NAMES = ['hasher', 'sysload'] as const;

/** What one window may ask another (progress is the hasher's to send, not a window's). */
export const WINDOW_COMMANDS = ['greet'] as const;

/** Windows are named window-1, window-2, ... by main (Electron) or browser mode. */
export const WINDOW_NAME = /^window-[1-9]\d{0,5}$/;
