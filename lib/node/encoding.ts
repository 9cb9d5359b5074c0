import { ErrorCode, IpcError } from '../common/errors.js';

/**
 * The seed accepted an `encoding` option. The wire is UTF-8 JSON whatever it
 * says, so only UTF-8 spellings are accepted; anything else would be a
 * promise the protocol cannot keep.
 */
export function checkEncoding(encoding: string | undefined): void {
  if (encoding === undefined) return;
  if (!/^utf-?8$/i.test(encoding)) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, `encoding "${encoding}" is not supported: the ipcio wire is always UTF-8 JSON`);
  }
}
