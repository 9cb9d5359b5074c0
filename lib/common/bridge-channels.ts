/**
 * The only Electron IPC the bridge uses, before the MessagePort exists: the
 * preload asks main for a port on CONNECT_CHANNEL and main answers with one
 * on PORT_CHANNEL, to that frame only. Everything after that travels on the port.
 */
export const CONNECT_CHANNEL = 'ipcio:connect';
export const PORT_CHANNEL = 'ipcio:port';
/** The `data` of the parentPort message that carries a utility process's port. */
export const UTILITY_PORT_MESSAGE = { ipcio: 'port' } as const;
