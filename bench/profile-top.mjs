// Prints the functions with the most self time in a V8 .cpuprofile (from `--profile=DIR`):
//   node bench/profile-top.mjs FILE.cpuprofile [N] [--total]
// --total ranks by inclusive time (the function and everything it called),
// which says which caller a cost belongs to (e.g. ServerCore.broadcast).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const args = process.argv.slice(2);
const inclusive = args.includes('--total');
const [file, count = '25'] = args.filter((arg) => arg !== '--total');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const selfMicros = new Map();
const deltas = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i += 1) {
  const id = profile.samples[i];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (deltas[i + 1] ?? 0));
}
const keyOf = (id) => {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  return `${functionName || '(anonymous)'} ${url ? `${basename(url)}:${lineNumber + 1}` : ''}`.trim();
};
const byFunction = new Map();
let total = 0;
for (const [id, micros] of selfMicros) {
  total += micros;
  if (!inclusive) {
    byFunction.set(keyOf(id), (byFunction.get(keyOf(id)) ?? 0) + micros);
    continue;
  }
  // Each function on the sample's stack gets the time once, however often it recurses.
  const seen = new Set();
  for (let at = id; at !== undefined; at = parentOf.get(at)) {
    const key = keyOf(at);
    if (seen.has(key)) continue;
    seen.add(key);
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  }
}
console.log(`${basename(file)}: ${(total / 1000).toFixed(0)} ms sampled, ranked by ${inclusive ? 'inclusive' : 'self'} time`);
for (const [key, micros] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(1).padStart(8)} ms  ${key}`);
}
