import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks, type CodeBlock } from './code-blocks.js';

const REPO = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', 'helpers/python/README.md', ...readdirSync(join(REPO, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
/** Shell commands, usage lines and printed output: read by people, not compiled. */
const PROSE_LANGUAGES = new Set(['', 'sh', 'text', 'console']);

/**
 * A code block is checked in one of two ways:
 * - its first line names a file of the repository (`// examples/...` or `# examples/...`, optionally
 *   followed by `:` or ` (` and a remark) and the block is that file's text, verbatim, whole or an
 *   excerpt (then without its first line). The examples are built, type-checked or run by
 *   test/package/examples.test.ts, so the docs cannot drift from code that compiles;
 * - it follows a `<!-- checked by test/... -->` comment naming a test that reads this document.
 */
function verdict(doc: string, text: string, block: CodeBlock): string | undefined {
  const before = text.split('\n').slice(0, block.line - 1).reverse().find((line) => line.trim() !== '');
  const checkedBy = before && /^<!-- checked by (\S+) -->$/.exec(before.trim());
  if (checkedBy) {
    const test = join(REPO, checkedBy[1]!);
    if (!existsSync(test)) return `names ${checkedBy[1]}, which does not exist`;
    return readFileSync(test, 'utf8').includes(doc) ? undefined : `${checkedBy[1]} never reads ${doc}`;
  }
  const [first = '', ...rest] = block.code.split('\n');
  const named = /^(?:\/\/|#) ((?:examples|helpers|src|lib|test)\/[^\s:]+)/.exec(first);
  if (!named) return 'is neither a named example file nor marked <!-- checked by test/... -->';
  const file = join(REPO, named[1]!);
  if (!existsSync(file)) return `names ${named[1]}, which does not exist`;
  const source = readFileSync(file, 'utf8');
  if (source.includes(block.code) || source.includes(rest.join('\n'))) return undefined;
  return `differs from ${named[1]}`;
}

describe('every code block in README.md and docs/ is built, type-checked or run by a test', () => {
  for (const doc of DOCS) {
    it(doc, () => {
      const text = readFileSync(join(REPO, doc), 'utf8');
      const problems = codeBlocks(text)
        .filter((block) => !PROSE_LANGUAGES.has(block.language))
        .map((block) => [block, verdict(doc, text, block)] as const)
        .filter(([, problem]) => problem !== undefined)
        .map(([block, problem]) => `${doc}:${block.line} (${block.language}) ${problem}`);
      expect(problems).toEqual([]);
    });
  }

  it('the checker refuses a block that drifted from its file, and an unmarked one', () => {
    const drifted = { language: 'ts', line: 1, code: "// examples/node-server/src/contract.ts\nimport { nothing } from 'ipcio';\n" };
    expect(verdict('README.md', '', drifted)).toBe('differs from examples/node-server/src/contract.ts');
    expect(verdict('README.md', '', { language: 'ts', line: 1, code: 'const x = 1;\n' })).toMatch(/neither/);
  });
});
