import { Buffer } from 'node:buffer';
import type { Logger } from '../node/index.js';

/**
 * JSON with binary values: bytes print as `{"$bytes": "<base64>"}`, and the same
 * form in an argument becomes bytes. JSON has no byte type; this keeps one line per value.
 */
export function toJson(value: unknown, indent?: number): string {
  // The holder's own property, not `value`: JSON.stringify has already applied Buffer's toJSON.
  return JSON.stringify(value === undefined ? null : value, function (this: Record<string, unknown>, key, replaced: unknown) {
    const original = this[key];
    if (original instanceof Uint8Array) return { $bytes: Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString('base64') };
    return replaced;
  }, indent);
}

export function parseJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (isBytesTag(value)) return Buffer.from(value.$bytes, 'base64');
    return value;
  });
}

function isBytesTag(value: unknown): value is { $bytes: string } {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && typeof (value as { $bytes?: unknown }).$bytes === 'string';
}

/** One JSON value per line on stdout, so `jq` and line-reading scripts can follow along. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

/** A terminal gets indented JSON; a pipe gets one line. */
export function printResult(value: unknown): void {
  process.stdout.write(`${toJson(value, process.stdout.isTTY ? 2 : undefined)}\n`);
}

export function printError(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Library logs (and --verbose traces) go to stderr: stdout carries only results. */
export const stderrLogger: Logger = {
  debug: (...args) => console.error(...args),
  info: (...args) => console.error(...args),
  warn: (...args) => console.error(...args),
  error: (...args) => console.error(...args),
};

/** Resolves once everything written so far has been handed to the OS, so an exit does not cut output. */
export function flushOutput(): Promise<void> {
  const drained = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
  return Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => undefined);
}
