/**
 * A cheap upper-bound guess of a value's encoded size, for the offline queue's
 * byte limit: strings count 3 bytes per UTF-16 unit (UTF-8's worst case),
 * bytes count themselves, everything else a few bytes of JSON punctuation.
 */
export function estimateSize(value: unknown, depth = 0): number {
  if (depth > 64) return 8;
  switch (typeof value) {
    case 'string':
      return value.length * 3 + 2;
    case 'object': {
      if (value === null) return 4;
      if (ArrayBuffer.isView(value)) return value.byteLength;
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) total += estimateSize(item, depth + 1) + 1;
        return total;
      }
      for (const key in value) {
        if (Object.hasOwn(value, key)) total += key.length * 3 + 4 + estimateSize((value as Record<string, unknown>)[key], depth + 1);
      }
      return total;
    }
    default:
      return 8;
  }
}
