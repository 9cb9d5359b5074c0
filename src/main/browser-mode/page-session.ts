import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/** What an open page needs to find this app again: the port its URL names and the token it holds. */
export interface PageSession {
  port: number;
  token: string;
}

const TOKEN_BYTES = 32;

/**
 * Browser mode's port and token, kept from one start to the next so a page
 * left open reconnects by itself when the app is back (a new token would
 * refuse it, a new port would not even reach it). The file sits beside the
 * ipcio socket, in the per-user directory the server checked is private
 * (0700, owner only), and is itself owner-only: holding the token is being
 * one of the app's windows, which the owner already is.
 */
export function readPageSession(path: string): PageSession | undefined {
  try {
    const { port, token } = JSON.parse(readFileSync(path, 'utf8')) as Partial<PageSession>;
    if (typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 && typeof token === 'string' && /^[\w-]{32,128}$/.test(token)) return { port, token };
  } catch {
    // Missing or unreadable: a fresh session.
  }
  return undefined;
}

export function writePageSession(path: string, session: PageSession): void {
  writeFileSync(path, `${JSON.stringify(session)}\n`, { mode: 0o600 });
}

export function newPageToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}
