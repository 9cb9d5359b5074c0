import tseslint from 'typescript-eslint';

/** Folder = runtime: the shared core runs everywhere, so it may import neither Node nor Electron. */
const runtimeNeutral = {
  patterns: [
    { group: ['node:*'], message: 'lib/common is runtime-neutral: no Node built-ins.' },
    { group: ['electron', 'electron/*'], message: 'lib/common is runtime-neutral: no Electron.' },
    { group: ['../node/*', '../electron-*/*'], message: 'lib/common may not depend on a runtime-specific layer.' },
  ],
};
const nodeBuiltins = ['assert', 'buffer', 'child_process', 'crypto', 'events', 'fs', 'net', 'os', 'path', 'stream', 'tty', 'url', 'util', 'worker_threads'];

/**
 * The preload runs sandboxed and the page in the browser: neither has Node, and the preload needs none
 * (ipcRenderer and contextBridge come from 'electron'). The page may not load Electron either.
 */
const sandboxed = (folder, extraPatterns = []) => ({
  patterns: [
    { group: ['node:*'], message: `${folder} runs sandboxed: no Node built-ins.` },
    { group: ['../node/*', '../electron-main/*', '../electron-utility/*'], message: `${folder} may not depend on a Node-only layer.` },
    ...extraPatterns,
  ],
  paths: nodeBuiltins.map((name) => ({ name, message: `${folder} runs sandboxed: no Node built-ins.` })),
});

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'examples/*/out/', 'examples/*/dist/', 'examples/*/node_modules/', 'node_modules/', 'helpers/python/', 'test-results/', 'playwright-report/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['lib/common/**/*.ts', 'lib/contract/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { ...runtimeNeutral, paths: nodeBuiltins.map((name) => ({ name, message: 'lib/common is runtime-neutral.' })) }],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'lib/common is runtime-neutral: use Uint8Array.' }, { name: 'process', message: 'lib/common is runtime-neutral.' }],
    },
  },
  {
    files: ['lib/electron-preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', sandboxed('lib/electron-preload')],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'the sandboxed preload has no Buffer.' }],
    },
  },
  {
    // Browser mode's page side: a plain web page, so neither Node nor Electron.
    files: ['lib/browser/**/*.ts', 'src/renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', sandboxed('the page (browser mode)', [{ group: ['electron', 'electron/*', '**/electron-preload/*', '**/electron-main/*', '**/node/*', '**/main/*'], message: 'the page reaches the app only through window.ipcio.' }])],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'the page has no Buffer.' }, { name: 'process', message: 'the page has no process.' }],
    },
  },
  {
    files: ['lib/electron-renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', sandboxed('lib/electron-renderer', [{ group: ['electron', 'electron/*', '../electron-preload/*'], message: 'the page reaches Electron only through window.ipcio.' }])],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'the page has no Buffer.' }, { name: 'process', message: 'the page has no process.' }],
    },
  },
);
