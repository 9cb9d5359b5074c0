import { IpcError } from '../../lib/common/errors.js';

/** A promise settled from outside, for handlers that finish when the test says so. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** What a promise settled with: 'resolved', or the IpcError code it rejected with. */
export function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof IpcError ? error.code : String(error)),
  );
}

export const quiet = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, log: () => undefined };
