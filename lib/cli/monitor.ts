import { INTERNAL_COMMAND_PREFIX } from '../common/messages.js';
import { ErrorCode, IpcError } from '../node/index.js';
import { COMMON_HELP, fromEnv, requirePositionals, resolveSocketPath, stringFlag } from './args.js';
import { interrupted } from './connect.js';
import { ExitCode, handshakeFailure } from './exit-codes.js';
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
shown. Requests for the server's built-ins (ipcio:discover, ipcio:wait, ipcio:monitor)
are plumbing, such as the check "ipcio emit" makes after each emit; they are
left out unless --builtins is given. Prints "monitoring PATH" on stderr once
active. Runs until SIGINT/SIGTERM (exit 0) or until the server goes away
(exit 2).

Options:
  --builtins      show requests for the built-ins too

${COMMON_HELP}`,
  options: { builtins: { type: 'boolean' } },
  async run(parsed) {
    requirePositionals(parsed, 0, 0, '');
    const socketPath = resolveSocketPath(parsed);
    const showBuiltins = parsed.flags.builtins === true;
    const session = await startMonitor({
      socketPath,
      name: stringFlag(parsed, 'name') ?? `ipcio-monitor-${process.pid}`,
      token: stringFlag(parsed, 'token') ?? fromEnv('IPCIO_TOKEN'),
      onSummary: (summary) => {
        if (showBuiltins || !isBuiltinRequest(summary)) printJsonLine(summary);
      },
    }).catch((error: unknown) => {
      throw error instanceof IpcError && error.code !== ErrorCode.DISCONNECTED ? handshakeFailure(error) : error;
    });
    printError(`ipcio: monitoring ${socketPath}`);
    const outcome = await Promise.race([interrupted(), session.ended]);
    session.close();
    if (typeof outcome === 'string') return ExitCode.OK;
    throw outcome;
  },
};

function isBuiltinRequest(summary: unknown): boolean {
  const { kind, cmd } = summary as { kind?: unknown; cmd?: unknown };
  return kind === 'request' && typeof cmd === 'string' && cmd.startsWith(INTERNAL_COMMAND_PREFIX);
}
