import { ErrorCode, IpcError } from '../common/errors.js';

/**
 * Evaluated before `electron` is imported: outside Electron's main process
 * the `electron` package is a path to a binary (or a download attempt), and
 * a named import from it dies with a bare SyntaxError. Say what is wrong instead.
 */
const processType = (process as { type?: string }).type;
if (process.versions.electron === undefined || processType !== 'browser') {
  const where = process.versions.electron === undefined ? `Node ${process.version} without Electron` : `an Electron ${processType ?? 'unknown'} process`;
  throw new IpcError(
    ErrorCode.ELECTRON_MAIN_ONLY,
    `ipcio/main runs in the Electron main process only; this is ${where}. In plain Node import 'ipcio' (IpcServer, IpcClient, WebSocketTransport, allowPolicy).`,
  );
}

export const ELECTRON_MAIN_CHECKED = true;
