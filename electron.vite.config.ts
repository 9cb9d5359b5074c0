import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';

/**
 * The sidecar console: main, preload and renderer, into out/. Main has two
 * entries: Electron's (index) and browser mode's (browser-mode), which plain
 * Node runs where no Electron binary exists.
 */
export default defineConfig({
  main: {
    build: {
      // Browser mode runs this bundle on the Node that runs npm (20.19+), not Electron's newer one.
      target: 'node20',
      rolldownOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          'browser-mode': resolve('src/main/browser-mode/index.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload is one CommonJS file: no ES modules, no require of anything but electron.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    // Relative asset URLs: the page loads from file:// in Electron and from http://127.0.0.1 in browser mode.
    base: './',
    build: {
      rolldownOptions: { input: resolve('src/renderer/index.html') },
    },
  },
});
