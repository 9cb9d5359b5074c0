import { COMMON_HELP, fromEnv, requirePositionals, resolveSocketPath, stringFlag } from './args.js';
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
      token: stringFlag(parsed, 'token') ?? fromEnv('IPCIO_TOKEN'),
      onSummary: printJsonLine,
    });
    printError(`ipcio: monitoring ${socketPath}`);
    const outcome = await Promise.race([interrupted(), session.ended]);
    session.close();
    if (typeof outcome === 'string') return ExitCode.OK;
    throw outcome;
  },
};
