import { ErrorCode, IpcError } from './errors.js';
import { nestingTooDeep } from './nesting.js';
import type { BinaryPart } from './messages.js';

/**
 * Binary values (any Uint8Array, so Node's Buffer too) travel as raw bytes
 * after the JSON, never as base64. Before encoding they are cut out of the
 * message and replaced by null; `bin` lists where each one sat and its length.
 */
export interface CutResult {
  /** The message with binary values replaced by null (the input itself when there were none). */
  json: unknown;
  parts: BinaryPart[];
  blobs: Uint8Array[];
}

/**
 * Also checks the nesting limit when `maxDepth` is given (NESTING_TOO_DEEP, naming `what`), in the
 * same walk that looks for binary values: one walk of the message per encode, not two.
 */
export function cutBinaryParts(message: Record<string, unknown>, maxDepth?: number, what: () => string = () => 'the message'): CutResult {
  const found = maxDepth === undefined ? (containsBinary(message) ? HAS_BINARY : 0) : scan(message, maxDepth);
  if (found === TOO_DEEP) throw nestingTooDeep(what(), maxDepth as number);
  if (found === 0) return { json: message, parts: [], blobs: [] };
  const parts: BinaryPart[] = [];
  const blobs: Uint8Array[] = [];
  const json = cloneWithoutBinary(message, [], parts, blobs);
  return { json, parts, blobs };
}

const HAS_BINARY = 1;
const TOO_DEEP = -1;

/** HAS_BINARY, TOO_DEEP (past `levelsLeft` levels of arrays and objects) or 0; stops at the limit, so the stack stays shallow. */
function scan(value: object, levelsLeft: number): number {
  if (ArrayBuffer.isView(value)) return HAS_BINARY;
  if (levelsLeft === 0) return TOO_DEEP;
  let found = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item !== 'object' || item === null) continue;
      const inner = scan(item as object, levelsLeft - 1);
      if (inner === TOO_DEEP) return TOO_DEEP;
      found |= inner;
    }
    return found;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (typeof item !== 'object' || item === null) continue;
    const inner = scan(item, levelsLeft - 1);
    if (inner === TOO_DEEP) return TOO_DEEP;
    found |= inner;
  }
  return found;
}

function containsBinary(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) return value.some(containsBinary);
  for (const key in value) {
    if (Object.hasOwn(value, key) && containsBinary((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

function cloneWithoutBinary(
  value: unknown,
  path: (string | number)[],
  parts: BinaryPart[],
  blobs: Uint8Array[],
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (ArrayBuffer.isView(value)) {
    // The receiver refuses such a path and closes the connection: refuse it here, where the caller can be told.
    const key = path.find((step) => typeof step === 'string' && FORBIDDEN_PATH_KEYS.has(step));
    if (key !== undefined) {
      throw new IpcError(ErrorCode.INVALID_ARGUMENT, `binary data under the key "${key}" cannot be sent (path ${JSON.stringify(path)}): the protocol refuses __proto__, prototype and constructor in binary paths`);
    }
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    parts.push({ path: [...path], length: bytes.byteLength });
    blobs.push(bytes);
    return null;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => cloneWithoutBinary(item, [...path, index], parts, blobs));
  }
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    // defineProperty, not assignment: a "__proto__" key in user data stays plain data.
    Object.defineProperty(copy, key, {
      value: cloneWithoutBinary((value as Record<string, unknown>)[key], [...path, key], parts, blobs),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

const FORBIDDEN_PATH_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Puts received bytes back where `parts` says. Walks own properties only and
 * refuses prototype keys, so a hostile path cannot reach Object.prototype.
 */
export function restoreBinaryParts(message: Record<string, unknown>, parts: BinaryPart[], blobs: Uint8Array[]): void {
  parts.forEach((part, index) => {
    const { path } = part;
    if (path.length === 0) throw bad('binary part with an empty path');
    let holder: unknown = message;
    for (let depth = 0; depth < path.length - 1; depth += 1) {
      holder = ownChild(holder, path[depth]);
    }
    const last = path[path.length - 1] as string | number;
    checkKey(holder, last);
    // Only a null placeholder may be filled: a path may not overwrite data, nor fill one slot twice.
    if ((holder as Record<string | number, unknown>)[last] !== null) throw bad(`binary part path does not lead to a null placeholder`);
    (holder as Record<string | number, unknown>)[last] = blobs[index];
  });
}

function ownChild(holder: unknown, key: string | number | undefined): unknown {
  checkKey(holder, key);
  const child = (holder as Record<string | number, unknown>)[key as string | number];
  if (typeof child !== 'object' || child === null) throw bad(`binary part path runs through a non-object at ${String(key)}`);
  return child;
}

function checkKey(holder: unknown, key: string | number | undefined): void {
  if (typeof holder !== 'object' || holder === null) throw bad('binary part path runs through a non-object');
  if (typeof key === 'number') {
    if (!Array.isArray(holder) || !Number.isInteger(key) || key < 0 || key >= holder.length) {
      throw bad(`binary part path has a bad array index ${key}`);
    }
    return;
  }
  if (typeof key !== 'string' || Array.isArray(holder) || FORBIDDEN_PATH_KEYS.has(key) || !Object.hasOwn(holder, key)) {
    throw bad(`binary part path has a bad key ${JSON.stringify(key)}`);
  }
}

function bad(message: string): IpcError {
  return new IpcError(ErrorCode.BAD_MESSAGE, message);
}
