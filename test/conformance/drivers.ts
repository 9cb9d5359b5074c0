import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Driver {
  name: string;
  command: string[];
  /** Why this driver cannot run here; undefined when it can. */
  unavailable: string | undefined;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const PYTHON_PACKAGE_DIR = here('../../helpers/python');

/**
 * Every driver the suite knows, each checked once: the Node client (needs
 * `npm run build`), the Python client (needs python3 and helpers/python/ipcio),
 * and one more from IPCIO_CONFORMANCE_DRIVER="name=command args" for a new language.
 */
export function drivers(): Driver[] {
  const list: Driver[] = [
    {
      name: 'node',
      command: [process.execPath, here('drivers/node-driver.mjs')],
      unavailable: existsSync(here('../../dist/node/index.js')) ? undefined : 'dist/node/index.js is missing: run "npm run build"',
    },
    { name: 'python', command: ['python3', here('drivers/python-driver.py')], unavailable: pythonProblem() },
  ];
  const extra = process.env.IPCIO_CONFORMANCE_DRIVER;
  if (extra) {
    const [name, command] = extra.split(/=(.*)/s) as [string, string | undefined];
    list.push({ name, command: (command ?? '').trim().split(/\s+/), unavailable: command ? undefined : 'IPCIO_CONFORMANCE_DRIVER must be "name=command args"' });
  }
  return list;
}

/** Imports the package the way the driver will, so a missing or broken client is a reason, not a crash. */
function pythonProblem(): string | undefined {
  const probe = spawnSync('python3', ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import ipcio; ipcio.Client; print(sys.version_info >= (3, 9))', PYTHON_PACKAGE_DIR], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) return `python3 cannot be started (${probe.error.message})`;
  if (probe.status !== 0) {
    const lastLine = probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`;
    return `the ipcio package in helpers/python does not import: ${lastLine}`;
  }
  if (probe.stdout.trim() !== 'True') return 'python3 is older than 3.9';
  return undefined;
}
