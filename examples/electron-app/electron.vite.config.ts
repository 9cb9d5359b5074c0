// examples/electron-app/electron.vite.config.ts
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      rolldownOptions: {
        // Two entries: main itself, and the utility process it forks.
        input: { index: 'src/main/index.ts', thumbnailer: 'src/main/thumbnailer.ts' },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload is one CommonJS file that requires nothing but
      // electron: bundle ipcio into it, and emit CommonJS as .cjs (the package is "type": "module").
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: 'src/preload/index.ts' },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {},
});
