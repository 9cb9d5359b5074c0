import { socketPathFor } from '../node/index.js';
import { checkSocketPathLength } from '../node/socket-path.js';
import { COMMON_HELP, requirePositionals, stringFlag, type Parsed } from './args.js';
import { interrupted } from './connect.js';
import { ExitCode } from './exit-codes.js';
import { startMonitor } from './monitor-session.js';
import { printError, printJsonLine } from './output.js';
import type { Subcommand } from './subcommand.js';

export const monitor: Subcommand = {
  name: 'monitor',
  summary: 'print a line for every message the server receives from its clients',
  help: `Usage: ipcio monitor [common options]

Asks the server for copies of what it routes (the ipcio:monitor built-in) and
prints one JSON line per message any other client sends, without its data:
  {"from":"alpha","to":"beta","kind":"request","cmd":"hash","id":3}
("to" is absent for messages meant for the server; "cmd" for responses; "id"
for emits and broadcasts.) Messages the server itself originates are not
shown. Prints "monitoring PATH" on stderr once active. Runs until
SIGINT/SIGTERM (exit 0) or until the server goes away (exit 2).

${COMMON_HELP}`,
  options: {},
  async run(parsed) {
    requirePositionals(parsed, 0, 0, '');
    const socketPath = resolveSocketPath(parsed);
    const session = await startMonitor({
      socketPath,
      name: stringFlag(parsed, 'name') ?? `ipcio-monitor-${process.pid}`,
      token: stringFlag(parsed, 'token') ?? process.env.IPCIO_TOKEN,
      onSummary: printJsonLine,
    });
    printError(`ipcio: monitoring ${socketPath}`);
    const outcome = await Promise.race([interrupted(), session.ended]);
    session.close();
    if (typeof outcome === 'string') return ExitCode.OK;
    throw outcome;
  },
};

/** The same precedence as IpcClient: --socket, then --domain, then IPCIO_SOCKET, then the default domain. */
function resolveSocketPath(parsed: Parsed): string {
  const explicit = stringFlag(parsed, 'socket');
  const domain = stringFlag(parsed, 'domain');
  const path = explicit ?? (domain === undefined ? process.env.IPCIO_SOCKET : undefined) ?? socketPathFor(domain ?? 'default');
  checkSocketPathLength(path);
  return path;
}
