import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const REPO = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export interface Packed {
  dir: string;
  tarball: string;
  /** Every path in the tarball, relative to the package root. */
  files: string[];
  cleanup(): void;
}

/**
 * `npm pack` of the built repository (the build has run: npm test builds first), plus
 * tarballs of ipcio's own dependencies from node_modules, so examples install offline.
 */
export async function packRepository(): Promise<Packed> {
  const dir = mkdtempSync(join(tmpdir(), 'ipcio-pack-'));
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
  const [report] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!report) throw new Error('npm pack reported nothing');
  const dependencies = Object.keys((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  await run('npm', ['pack', '--ignore-scripts', ...dependencies.map((name) => join(REPO, 'node_modules', name))], { cwd: dir });
  return {
    dir,
    tarball: join(dir, report.filename),
    files: report.files.map((file) => file.path),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Copies examples/<name> next to the tarballs and installs ipcio there from the tarball, offline.
 * Its build tools (devDependencies) are linked from the repository's node_modules, after
 * checking that the example asks for the very versions the repository tests with.
 */
export async function installExample(packed: Packed, name: string): Promise<string> {
  const app = join(packed.dir, name);
  cpSync(join(REPO, 'examples', name), app, { recursive: true });
  const manifestPath = join(app, 'package.json');
  const manifest = readFileSync(manifestPath, 'utf8');
  // npm would fetch every declared dependency; install only the tarballs, then put the manifest back.
  renameSync(manifestPath, `${manifestPath}.real`);
  writeFileSync(manifestPath, JSON.stringify({ name: `${name}-install`, private: true }));
  const tarballs = (await run('ls', [packed.dir])).stdout.split('\n').filter((file) => file.endsWith('.tgz'));
  await run('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', ...tarballs.map((file) => join('..', file))], { cwd: app });
  renameSync(`${manifestPath}.real`, manifestPath);
  const devDependencies = (JSON.parse(manifest) as { devDependencies: Record<string, string> }).devDependencies;
  for (const [dependency, version] of Object.entries(devDependencies)) {
    const source = join(REPO, 'node_modules', dependency);
    const installed = (JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string }).version;
    if (installed !== version) throw new Error(`examples/${name} asks for ${dependency} ${version}; the repository has ${installed}`);
    mkdirSync(dirname(join(app, 'node_modules', dependency)), { recursive: true });
    symlinkSync(source, join(app, 'node_modules', dependency), 'dir');
  }
  return app;
}

export function runIn(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ stdout: string; stderr: string }> {
  return run(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
}
