import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * A supervised helper learns that main is gone, however main died (kill -9
 * included, when no exit hook runs): the supervisor hands it the read end of
 * a pipe on the descriptor named by IPCIO_PARENT_FD, whose write end only
 * main holds. End-of-file there means main is gone; the helper then gets
 * SIGTERM from itself, so it stops exactly as when main stops it (its own
 * SIGTERM handler, if any, runs; otherwise it exits).
 */
let watching = false;

export function watchParentLifeline(env: NodeJS.ProcessEnv = process.env): boolean {
  if (watching || process.platform === 'win32') return watching;
  const fd = Number(env.IPCIO_PARENT_FD);
  if (!Number.isInteger(fd) || fd < 3) return false;
  // Claimed once, and not passed on: a process this helper starts has its own fd 3, maybe not a lifeline.
  delete env.IPCIO_PARENT_FD;
  try {
    const stats = fstatSync(fd);
    if (!stats.isSocket() && !stats.isFIFO()) return false;
  } catch {
    return false;
  }
  const lifeline = new Socket({ fd, readable: true, writable: false });
  const parentGone = (): void => {
    lifeline.destroy();
    process.kill(process.pid, 'SIGTERM');
  };
  lifeline.on('data', () => undefined);
  lifeline.once('end', parentGone);
  lifeline.once('error', parentGone);
  // Watching must not keep a helper alive that has nothing else to do.
  lifeline.unref();
  watching = true;
  return true;
}
