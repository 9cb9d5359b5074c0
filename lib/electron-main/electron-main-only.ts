import { createRequire } from 'node:module';
import { ErrorCode, IpcError } from '../common/errors.js';

/**
 * `electron` loaded only after checking where we run. Outside Electron's main
 * process the `electron` package is a path to a binary (or a download
 * attempt, or absent); a static import of it dies with a bare SyntaxError or
 * ERR_MODULE_NOT_FOUND before any code of ours could say what is wrong.
 */
const processType = (process as { type?: string }).type;
if (process.versions.electron === undefined || processType !== 'browser') {
  const where = process.versions.electron === undefined ? `Node ${process.version} without Electron` : `an Electron ${processType ?? 'unknown'} process`;
  throw new IpcError(
    ErrorCode.ELECTRON_MAIN_ONLY,
    `ipcio/main runs in the Electron main process only; this is ${where}. In plain Node import 'ipcio' (IpcServer, IpcClient, WebSocketTransport, allowPolicy).`,
  );
}

export const electronMain = createRequire(import.meta.url)('electron') as typeof import('electron');
