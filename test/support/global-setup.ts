import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * Tests run lib/ through Vitest, child processes (helpers, probes, the conformance drivers) run dist/.
 * So that both run the same code, dist/ is rebuilt first when any source is newer than its output.
 */
export default function setup(): void {
  const lib = join(ROOT, 'lib');
  const stale = sources(lib).filter((source) => {
    const output = join(ROOT, 'dist', relative(lib, source)).replace(/\.ts$/, '.js');
    return !existsSync(output) || statSync(output).mtimeMs < statSync(source).mtimeMs;
  });
  if (stale.length === 0) return;
  console.log(`[setup] dist/ is older than ${stale.length} source file(s) (${relative(ROOT, stale[0] as string)}...): building, so child processes run the same code as the tests`);
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}
