import { createHash } from 'node:crypto';

const MIB = 1024 * 1024;

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** What helpers/app/hasher.mjs longHash computes: MiB i filled with byte i % 256. */
export function sha256Generated(megabytes: number): string {
  const hash = createHash('sha256');
  const block = Buffer.alloc(MIB);
  for (let i = 0; i < megabytes; i += 1) hash.update(block.fill(i % 256));
  return hash.digest('hex');
}
