import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks } from '../docs/code-blocks.js';
import { installExample, packRepository, REPO, runIn, type Packed } from './packed.js';

/** Every module specifier a built JavaScript file loads: require(), import, export from, import(). */
function loadedModules(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of [/\brequire\(\s*["']([^"']+)["']\s*\)/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']/gm, /^\s*import\s*["']([^"']+)["']/gm]) {
    for (const [, specifier] of source.matchAll(pattern)) found.add(specifier!);
  }
  return [...found];
}

/** The modules reachable from `entry` by relative imports, and the bare specifiers they load. */
function bareImportsReachable(entry: string): string[] {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of loadedModules(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return [...bare];
}

describe('the examples, built against the packed tarball', () => {
  let packed: Packed;
  let nodeServer: Promise<string> | undefined;
  /** One install of examples/node-server serves every test that only needs the package installed. */
  const installedNodeServer = (): Promise<string> => (nodeServer ??= installExample(packed, 'node-server'));
  beforeAll(async () => {
    packed = await packRepository();
  }, 120_000);
  afterAll(() => packed?.cleanup());

  it('examples/node-server: type-checks, builds and runs, a server spawning its helper', async () => {
    const app = await installedNodeServer();
    await runIn(app, process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
    const { stdout } = await runIn(app, process.execPath, ['dist/server.js']);
    expect(stdout).toBe(readFileSync(join(app, 'expected-output.txt'), 'utf8'));
  }, 120_000);

  it("README.md's Quick start prints what README.md says, run as a user would (node quick-start.mjs)", async () => {
    const app = await installedNodeServer();
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    const expected = codeBlocks(quickStart).find((block) => block.language === 'text');
    if (!expected) throw new Error("README.md's Quick start lost its expected output");
    // A private runtime dir: the example's domain "demo" must not meet another run's server.
    const runtimeDir = mkdtempSync(join(tmpdir(), 'ipcio-xdg-'));
    try {
      const { stdout } = await runIn(app, process.execPath, ['quick-start.mjs'], { ...process.env, XDG_RUNTIME_DIR: runtimeDir });
      expect(stdout).toBe(expected.code);
    } finally {
      rmSync(runtimeDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('examples/electron-app: type-checks; electron-vite builds a CommonJS preload that requires only electron', async () => {
    const app = await installExample(packed, 'electron-app');
    await runIn(app, process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']);
    await runIn(app, process.execPath, ['node_modules/electron-vite/bin/electron-vite.js', 'build']);

    const preload = readFileSync(join(app, 'out/preload/index.cjs'), 'utf8');
    expect(loadedModules(preload)).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);

    // The page: no Node module, no Electron, nothing external at all; one bundle.
    const assets = join(app, 'out/renderer/assets');
    for (const file of readdirSync(assets).filter((name) => name.endsWith('.js'))) {
      expect(loadedModules(readFileSync(join(assets, file), 'utf8')).filter((specifier) => !specifier.startsWith('.'))).toEqual([]);
    }
    expect(existsSync(join(app, 'out/main/index.js')) && existsSync(join(app, 'out/main/thumbnailer.js'))).toBe(true);

    await runIn(app, 'python3', ['-m', 'py_compile', 'helpers/hasher.py']);
    await runIn(app, process.execPath, ['--check', 'helpers/hasher.mjs']);
  }, 120_000);

  it('ipcio/contract, the entry a page may import, loads nothing but its own files', async () => {
    const app = await installedNodeServer();
    const entry = join(app, 'node_modules/ipcio/dist/contract/index.js');
    expect(bareImportsReachable(entry)).toEqual([]);
    for (const entryPoint of ['renderer', 'browser']) {
      const manifest = JSON.parse(readFileSync(join(app, 'node_modules/ipcio/package.json'), 'utf8')) as { exports: Record<string, { default: string }> };
      const file = join(app, 'node_modules/ipcio', manifest.exports[`./${entryPoint}`]!.default);
      // uuid is a browser-safe package; nothing of Node, Electron or ws may be reached.
      expect(bareImportsReachable(file).filter((specifier) => specifier !== 'uuid'), entryPoint).toEqual([]);
    }
  }, 120_000);

  it("import('ipcio/main') in plain Node fails with ELECTRON_MAIN_ONLY, naming the fix", async () => {
    const app = await installedNodeServer();
    const script = "import('ipcio/main').then(() => console.log('loaded'), (e) => console.log(e.code + ': ' + e.message))";
    const { stdout } = await runIn(app, process.execPath, ['--input-type=module', '-e', script]);
    expect(stdout).toMatch(/^ELECTRON_MAIN_ONLY: ipcio\/main runs in the Electron main process only; .*import 'ipcio'/);
  }, 120_000);
});
