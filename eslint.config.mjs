import tseslint from 'typescript-eslint';

/** Folder = runtime: the shared core runs everywhere, so it may import neither Node nor Electron. */
const runtimeNeutral = {
  patterns: [
    { group: ['node:*'], message: 'src/common is runtime-neutral: no Node built-ins.' },
    { group: ['electron', 'electron/*'], message: 'src/common is runtime-neutral: no Electron.' },
    { group: ['../node/*', '../electron-*/*'], message: 'src/common may not depend on a runtime-specific layer.' },
  ],
};
const nodeBuiltins = ['assert', 'buffer', 'child_process', 'crypto', 'events', 'fs', 'net', 'os', 'path', 'stream', 'tty', 'url', 'util', 'worker_threads'];

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'node_modules/', 'helpers/python/', 'test-results/', 'playwright-report/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { ...runtimeNeutral, paths: nodeBuiltins.map((name) => ({ name, message: 'src/common is runtime-neutral.' })) }],
      'no-restricted-globals': ['error', { name: 'Buffer', message: 'src/common is runtime-neutral: use Uint8Array.' }, { name: 'process', message: 'src/common is runtime-neutral.' }],
    },
  },
);
