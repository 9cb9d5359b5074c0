import { ErrorCode, IpcError } from './errors.js';

/**
 * The token never crosses the wire: each side proves it knows it with
 * HMAC-SHA256 over two fresh nonces, one from each side (PROTOCOL.md,
 * "Handshake"). A decoy listening in the server's place learns nothing it can
 * replay (the client's proof covers the decoy's own nonce and, without the
 * token, the decoy cannot produce the server's proof, so the client refuses
 * it before sending anything else). Runtime-neutral: WebCrypto's
 * `crypto.subtle`, in Node 20+ (globalThis.crypto), Electron and browsers.
 */

/** Bytes of randomness in a nonce; sent as 64 lowercase hex digits. */
export const NONCE_BYTES = 32;
const NONCE_PATTERN = /^[0-9a-f]{64}$/;
const SERVER_LABEL = 'ipcio-server-proof';
const CLIENT_LABEL = 'ipcio-client-proof';
const encoder = new TextEncoder();

function hex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0');
  return text;
}

function webCrypto(): Crypto {
  const crypto = globalThis.crypto;
  if (crypto?.subtle === undefined) {
    throw new IpcError(ErrorCode.INVALID_ARGUMENT, 'proving a token needs WebCrypto (crypto.subtle): Node 20 or later, or a browser page in a secure context');
  }
  return crypto;
}

/** A fresh nonce: 32 random bytes as hex. */
export function newNonce(): string {
  return hex(webCrypto().getRandomValues(new Uint8Array(NONCE_BYTES)));
}

export function isNonce(value: unknown): value is string {
  return typeof value === 'string' && NONCE_PATTERN.test(value);
}

/**
 * HMAC-SHA256 of `message` (UTF-8) under the key SHA-256(UTF-8 of `token`), as 64 lowercase hex digits.
 * The key is the token's hash, not the token: HMAC pads a short key with zero bytes, so "t" and "t\0"
 * would be the same key; a hash of fixed length has no such twins (and is never empty).
 */
export async function hmacSha256Hex(token: string, message: string): Promise<string> {
  const { subtle } = webCrypto();
  const keyBytes = new Uint8Array(await subtle.digest('SHA-256', encoder.encode(token)));
  const cryptoKey = await subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(new Uint8Array(await subtle.sign('HMAC', cryptoKey, encoder.encode(message))));
}

/** Both proofs of one handshake: what the server shows the client, and what the client must show the server. */
export async function handshakeProofs(token: string, clientNonce: string, serverNonce: string): Promise<{ server: string; client: string }> {
  const [server, client] = await Promise.all([
    hmacSha256Hex(token, `${SERVER_LABEL}\n${clientNonce}\n${serverNonce}`),
    hmacSha256Hex(token, `${CLIENT_LABEL}\n${clientNonce}\n${serverNonce}`),
  ]);
  return { server, client };
}

/**
 * Compares a presented secret with the expected one in time that depends only on the expected one's
 * length, so a guesser learns nothing from how fast a wrong guess is refused.
 */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  const given = presented ?? '';
  let difference = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i += 1) {
    difference |= expected.charCodeAt(i) ^ given.charCodeAt(i % Math.max(given.length, 1));
  }
  return difference === 0;
}

/**
 * A client's side of the proof, for one connection attempt: its nonce for the hello, the check of the
 * server's challenge, and the check that a welcome came only after the server proved the token.
 */
export class ClientTokenProof {
  readonly nonce = newNonce();
  private verified = false;

  constructor(private readonly token: string) {}

  /** Checks the server's proof; resolves with the client's own proof to send back, rejects SERVER_AUTH_FAILED. */
  async answer(challenge: { nonce: string; proof: string }): Promise<string> {
    const proofs = await handshakeProofs(this.token, this.nonce, challenge.nonce);
    if (!sameSecret(challenge.proof, proofs.server)) {
      throw new IpcError(ErrorCode.SERVER_AUTH_FAILED, 'the server could not prove it knows our token: a wrong token, or not the server meant (a decoy in its place?); nothing more was sent');
    }
    this.verified = true;
    return proofs.client;
  }

  /** Throws SERVER_AUTH_FAILED for a welcome that was not preceded by a verified challenge. */
  checkWelcome(): void {
    if (!this.verified) {
      throw new IpcError(ErrorCode.SERVER_AUTH_FAILED, 'the server welcomed this client without proving it knows the token: not the server meant (a decoy in its place?), or one that requires no token');
    }
  }
}
