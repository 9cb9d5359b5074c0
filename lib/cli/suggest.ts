/**
 * The known flag nearest to a mistyped one (`--domian` → `--domain`), or
 * undefined when none is close: a wrong guess would mislead more than none.
 */
export function nearestFlag(typed: string, known: readonly string[]): string | undefined {
  const bare = typed.replace(/^-+/, '').split('=')[0] ?? '';
  if (bare.length === 0) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.startsWith(bare) || bare.startsWith(name) ? 1 : editDistance(bare, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  // Two edits cover a swapped pair or a missing and a wrong letter; more than a third of the word is another word.
  if (best === undefined || best.distance > Math.min(2, Math.ceil(bare.length / 3))) return undefined;
  return `--${best.name}`;
}

/** Levenshtein distance, with an adjacent swap counted as one edit (Damerau). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
