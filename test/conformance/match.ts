/**
 * The expectation language of scenarios.json (docs/CONFORMANCE.md):
 * scalars compare equal; arrays element by element, same length; objects by
 * the keys the pattern names (extra keys in the actual value are fine); and
 * an object whose keys are all operators tests the value instead:
 *   {"$any": true}                anything, even absent
 *   {"$regex": "^a"}              a string matching
 *   {"$contains": [p, ...]}       an array with, for each p, an element matching it
 *   {"$length": n}                an array of n elements (combines with $contains)
 *   {"$atMost": n}                a number no greater than n (how far a producer ran ahead of its consumer)
 * `{"$bytes": "<base64>"}` is data, not an operator: bytes compare by value.
 */
const OPERATORS = new Set(['$any', '$regex', '$contains', '$length', '$atMost']);

/** Undefined when `actual` matches; otherwise where and how it differs. */
export function mismatch(pattern: unknown, actual: unknown, path = '$'): string | undefined {
  if (isOperator(pattern)) return operatorMismatch(pattern, actual, path);
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`;
    if (actual.length !== pattern.length) return `${path}: expected ${pattern.length} elements, got ${actual.length}: ${show(actual)}`;
    for (const [index, item] of pattern.entries()) {
      const found = mismatch(item, actual[index], `${path}[${index}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof pattern === 'object' && pattern !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${path}: expected an object, got ${show(actual)}`;
    for (const [key, item] of Object.entries(pattern)) {
      const found = mismatch(item, (actual as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  return Object.is(pattern, actual) || pattern === actual ? undefined : `${path}: expected ${show(pattern)}, got ${show(actual)}`;
}

function isOperator(pattern: unknown): pattern is Record<string, unknown> {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) return false;
  const keys = Object.keys(pattern);
  return keys.length > 0 && keys.every((key) => OPERATORS.has(key));
}

function operatorMismatch(pattern: Record<string, unknown>, actual: unknown, path: string): string | undefined {
  if ('$any' in pattern) return undefined;
  if ('$atMost' in pattern) {
    return typeof actual === 'number' && actual <= Number(pattern.$atMost) ? undefined : `${path}: expected a number of at most ${String(pattern.$atMost)}, got ${show(actual)}`;
  }
  if ('$regex' in pattern) {
    const regex = new RegExp(String(pattern.$regex));
    return typeof actual === 'string' && regex.test(actual) ? undefined : `${path}: expected a string matching ${regex}, got ${show(actual)}`;
  }
  if (!Array.isArray(actual)) return `${path}: expected an array, got ${show(actual)}`;
  if (typeof pattern.$length === 'number' && actual.length !== pattern.$length) {
    return `${path}: expected ${pattern.$length} elements, got ${actual.length}: ${show(actual)}`;
  }
  for (const wanted of (pattern.$contains as unknown[] | undefined) ?? []) {
    if (!actual.some((item) => mismatch(wanted, item) === undefined)) return `${path}: no element matches ${show(wanted)} in ${show(actual)}`;
  }
  return undefined;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
