import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packRepository, REPO, type Packed } from './packed.js';

const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown> & {
  exports: Record<string, string | { types: string; default: string }>;
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
/** What a user needs besides dist/: the shipped docs are the ones README and ELECTRON.md point users to. */
const SHIPPED_OUTSIDE_DIST = ['LICENSE', 'README.md', 'package.json', 'docs/CLI.md', 'docs/ELECTRON.md', 'docs/PROTOCOL.md'];

describe('the npm tarball', () => {
  let packed: Packed;
  beforeAll(async () => {
    packed = await packRepository();
  }, 120_000);
  afterAll(() => packed?.cleanup());

  it('holds dist/ and the user docs only: no source maps, screenshots, tests or repository-only docs', () => {
    const outside = packed.files.filter((file) => !file.startsWith('dist/'));
    expect(outside.sort()).toEqual([...SHIPPED_OUTSIDE_DIST].sort());
    expect(packed.files.filter((file) => /\.map$|\.png$|\.test\./.test(file))).toEqual([]);
    expect(packed.files.filter((file) => file.startsWith('dist/') && !/\.(js|d\.ts)$/.test(file))).toEqual([]);
  });

  it('has a file for every export, type and the bin', () => {
    const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : [target.types, target.default]));
    targets.push(...Object.values(manifest.bin));
    for (const target of targets) expect(packed.files, target).toContain(target.replace(/^\.\//, ''));
  });

  it('links only to files it ships, or to the repository by URL', () => {
    for (const doc of SHIPPED_OUTSIDE_DIST.filter((file) => file.endsWith('.md'))) {
      const text = readFileSync(join(REPO, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)) {
        if (/^https?:/.test(target!)) continue;
        const resolved = join(doc, '..', target!).replace(/\\/g, '/');
        expect(packed.files, `${doc} links to ${target}`).toContain(resolved);
      }
      // Back-quoted repository paths that users cannot open from the package are written as links instead.
      for (const [, path] of text.matchAll(/`((?:docs|helpers|test|examples|src|lib)\/[^`\s]*\.(?:md|png))`/g)) {
        expect(packed.files, `${doc} names ${path} as if shipped`).toContain(path);
      }
    }
  });

  it('says what it is: MIT licence file, repository, homepage, keywords, no side effects, builds when installed from git', () => {
    expect(manifest.license).toBe('MIT');
    expect(readFileSync(join(REPO, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
    expect(manifest.repository).toMatchObject({ type: 'git' });
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.keywords).toEqual(expect.arrayContaining(['electron', 'ipc']));
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.scripts.prepare).toMatch(/npm run build/);
    expect(manifest.scripts.prepack).toMatch(/npm run build/);
  });
});
