import { PROTOCOL } from '../common/protocol.js';
import { lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { ErrorCode, IpcError } from '../common/errors.js';

/**
 * Where a domain's socket lives: a private per-user directory, never a shared
 * world-writable path. Unix socket paths longer than the platform's sun_path
 * are refused here, because Node would silently truncate them.
 */
const DOMAIN_PATTERN = new RegExp(PROTOCOL.domains.pattern);
/** sun_path is 108 bytes on Linux and 104 on macOS/BSD, both including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;
const PRIVATE_DIR_MODE = 0o700;

export function checkDomain(domain: string): void {
  if (typeof domain !== 'string' || !DOMAIN_PATTERN.test(domain)) {
    throw new IpcError(
      ErrorCode.INVALID_ARGUMENT,
      `domain ${JSON.stringify(domain)} must be 1-64 letters, digits, ".", "_" or "-"`,
    );
  }
}

/**
 * The directory every domain of this user shares: `$XDG_RUNTIME_DIR/ipcio`, else `<tmp>/ipcio-<uid>`.
 * A relative XDG_RUNTIME_DIR is invalid and ignored, as the XDG Base Directory spec requires.
 */
export function defaultSocketDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtimeDir = env.XDG_RUNTIME_DIR;
  if (runtimeDir && isAbsolute(runtimeDir)) return join(runtimeDir, 'ipcio');
  return join(tmpdir(), `ipcio-${process.getuid?.() ?? userInfo().username}`);
}

/** The socket path of a domain; does not touch the file system. */
export function socketPathFor(domain: string, env: NodeJS.ProcessEnv = process.env): string {
  checkDomain(domain);
  if (process.platform === 'win32') return `\\\\.\\pipe\\ipcio-${userInfo().username}-${domain}`;
  const path = join(defaultSocketDir(env), `${domain}.sock`);
  checkSocketPathLength(path);
  return path;
}

export function checkSocketPathLength(path: string): void {
  if (process.platform === 'win32') return;
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new IpcError(
      ErrorCode.SOCKET_PATH_TOO_LONG,
      `socket path is ${bytes} bytes, over the platform limit of ${MAX_SOCKET_PATH_BYTES}: ${path}`,
    );
  }
}

/**
 * Creates the socket directory owner-only if missing, and refuses one that
 * another user could have prepared: a symlink, someone else's, or readable or
 * writable by group or others.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  checkPrivateDir(dir);
}

/**
 * The ownership checks alone, for a client before it connects: a socket in a directory another user
 * controls may be theirs, and the client would hand it its token. A missing directory passes (the
 * connect then fails as for a server not started yet).
 */
export function checkPrivateDir(dir: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const uid = process.getuid?.();
  if (stats.isSymbolicLink()) throw unsafe(dir, 'is a symbolic link');
  if (!stats.isDirectory()) throw unsafe(dir, 'is not a directory');
  if (uid !== undefined && stats.uid !== uid) throw unsafe(dir, `is owned by uid ${stats.uid}, not ${uid}`);
  if ((stats.mode & 0o077) !== 0) throw unsafe(dir, `has mode ${(stats.mode & 0o777).toString(8)}; it must be 700`);
  checkParentDir(dir, uid);
}

/**
 * Whoever can rename entries in the parent can swap our directory for theirs between this check
 * and the connect. So the parent must be root's or ours, and writable by nobody else unless it has
 * the sticky bit (as /tmp has: there only an entry's owner may rename it).
 */
function checkParentDir(dir: string, uid: number | undefined): void {
  const parent = dirname(dir);
  // stat, not lstat: /tmp may be a symlink to /private/tmp (macOS); what counts is the directory it names.
  const stats = statSync(parent);
  if (uid !== undefined && stats.uid !== 0 && stats.uid !== uid) throw unsafe(parent, `(the parent of ${dir}) is owned by uid ${stats.uid}, neither root nor ${uid}`);
  const writableByOthers = (stats.mode & 0o022) !== 0;
  const sticky = (stats.mode & 0o1000) !== 0;
  if (writableByOthers && !sticky) throw unsafe(parent, `(the parent of ${dir}) has mode ${(stats.mode & 0o7777).toString(8)}: others may write it and it has no sticky bit`);
}

function unsafe(dir: string, why: string): IpcError {
  return new IpcError(ErrorCode.UNSAFE_SOCKET_DIR, `refusing socket directory ${dir}: it ${why}`);
}
