import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { IpcServer } from 'ipcio';
import type { SupervisedHelper } from 'ipcio';
import type { AppContract, HelperStatus } from '../shared/app-contract.js';

interface HelperSpec {
  name: 'hasher' | 'sysload';
  language: HelperStatus['language'];
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

/** Short enough to see a kill come back in the UI; the supervisor's backoff still spaces out a crash loop. */
const RESTART = { minMs: 200, maxMs: 5_000 };

function specs(root: string): HelperSpec[] {
  return [
    {
      name: 'hasher',
      language: 'node',
      // Inside Electron, execPath is Electron itself; ELECTRON_RUN_AS_NODE makes it plain Node. Plain Node ignores it.
      command: process.execPath,
      args: [join(root, 'helpers', 'app', 'hasher.mjs')],
      env: { ELECTRON_RUN_AS_NODE: '1' },
    },
    {
      name: 'sysload',
      language: 'python',
      command: process.env.PYTHON ?? 'python3',
      args: [join(root, 'helpers', 'app', 'sysload.py')],
      env: { PYTHONUNBUFFERED: '1' },
    },
  ];
}

export interface AppHelpers {
  status(): HelperStatus[];
  /** SIGKILLs a helper's process, as a crash would; the supervisor restarts it. */
  kill(name: string): number;
}

/** Starts the app's two helpers under the server's supervisor, restarted when they die. */
export function spawnHelpers(server: IpcServer<AppContract>, root: string): AppHelpers {
  const running = new Map<string, { helper: SupervisedHelper; language: HelperStatus['language'] }>();
  for (const spec of specs(root)) {
    // sysload imports the Python client from helpers/python; without it, it would only crash and be restarted forever.
    if (spec.language === 'python' && !existsSync(join(root, 'helpers', 'python', 'ipcio', 'client.py'))) {
      console.warn(`[sidecar console] not starting "${spec.name}": helpers/python/ipcio/client.py is missing`);
      continue;
    }
    const helper = server.spawn(spec.command, spec.args, { name: spec.name, restart: RESTART, cwd: root, env: spec.env });
    running.set(spec.name, { helper, language: spec.language });
  }
  return {
    status: () => [...running.values()].map(({ helper, language }) => ({ name: helper.name, pid: helper.pid, restarts: helper.restarts, language })),
    kill: (name) => {
      const entry = running.get(name);
      if (!entry) throw codedError('E_NO_SUCH_HELPER', `no helper named "${name}"`);
      const pid = entry.helper.pid;
      if (pid === undefined) throw codedError('E_NOT_RUNNING', `helper "${name}" is not running right now`);
      process.kill(pid, 'SIGKILL');
      return pid;
    },
  };
}

/** Handlers throw these; the caller gets HANDLER_ERROR with the code as remoteCode. */
export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
