/** `{ path }` when a runnable Electron binary is on disk, else `{ reason }` in one line. */
export function findElectronBinary(): { path: string; reason?: undefined } | { path?: undefined; reason: string };
