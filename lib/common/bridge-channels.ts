/**
 * The only Electron IPC the bridge uses, before the MessagePort exists: the
 * preload asks main for a port on CONNECT_CHANNEL and main answers with one
 * on PORT_CHANNEL, to that frame only. Everything after that travels on the port.
 */
export const CONNECT_CHANNEL = 'ipcio:connect';
export const PORT_CHANNEL = 'ipcio:port';
/**
 * Invoked by the preload before it asks for a port: main answers `null` when
 * it will serve this frame, or `{ code, reason }`. No handler at all means
 * main never attached this window, which the preload reports as NOT_ATTACHED
 * at once instead of waiting for a port that never comes.
 */
export const ATTACHED_CHANNEL = 'ipcio:attached';
export interface AttachedAnswer {
  code: 'NOT_ATTACHED' | 'ORIGIN_REFUSED';
  reason: string;
}
/** The `data` of the parentPort message that carries a utility process's port. */
export const UTILITY_PORT_MESSAGE = { ipcio: 'port' } as const;
