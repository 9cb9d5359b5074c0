// Small statistics and formatting helpers shared by every part of the benchmark.

export function median(values) {
  return percentile(values, 50);
}

/** Nearest-rank percentile of finite numbers; null when there are none. */
export function percentile(values, p) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const MIB = 1024 * 1024;

/** Bytes per second as MB/s (10^6 bytes). */
export function mbPerSecond(bytes, seconds) {
  return bytes / seconds / 1e6;
}

export function formatNumber(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  if (Math.abs(value) >= 10_000) return Math.round(value).toLocaleString('en-US');
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(digits);
}

export function formatRatio(value) {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}x`;
}
