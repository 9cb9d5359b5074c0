import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child processes run dist/: rebuild it when lib/ is newer, so they run what the tests run.
    globalSetup: ['test/support/global-setup.ts'],
    // Integration tests start real processes and sockets; one file's servers must not slow another's timers.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
