import { IpcServer } from '../node/index.js';
import { SERVER_COMMON_HELP, fromEnv, stringFlag, requirePositionals } from './args.js';
import { interrupted } from './connect.js';
import { ExitCode } from './exit-codes.js';
import { printError, stderrLogger } from './output.js';
import type { Subcommand } from './subcommand.js';

export const serve: Subcommand = {
  name: 'serve',
  summary: 'run a standalone server until SIGINT/SIGTERM',
  help: `Usage: ipcio serve [--domain D] [--socket PATH] [--token T] [--name SERVERNAME] [--verbose]

Runs an ipcio server, for helpers that talk to each other without an app.
Clients address each other by name through it. It has no commands of its
own besides the built-ins (ipcio:discover, ipcio:monitor). Prints
"listening on PATH" on stderr once clients can connect; SIGINT or SIGTERM
closes every connection, removes the socket and exits 0.

--token (or IPCIO_TOKEN) makes the token mandatory for clients.

Exit status: 0 after a signal; 2 when it cannot listen (DOMAIN_IN_USE: a live
server already has the domain; UNSAFE_SOCKET_DIR; LISTEN_FAILED); 1 usage.
(Run through npx or npm, Ctrl-C also stops npm and its shell, which report
130 whatever this returned: see docs/CLI.md.)

Options:
  --name NAME     the server's own name, as clients see it (default "server")

${SERVER_COMMON_HELP}`,
  options: {},
  async run(parsed) {
    requirePositionals(parsed, 0, 0, '');
    const socketPath = stringFlag(parsed, 'socket') ?? (stringFlag(parsed, 'domain') === undefined ? fromEnv('IPCIO_SOCKET') : undefined);
    const server = new IpcServer({
      domain: stringFlag(parsed, 'domain'),
      socketPath,
      token: stringFlag(parsed, 'token') ?? fromEnv('IPCIO_TOKEN'),
      name: stringFlag(parsed, 'name'),
      verbose: parsed.flags.verbose === true,
      logger: stderrLogger,
    });
    // Installed before start: a signal during startup must still close the socket.
    const signal = interrupted();
    let listening = false;
    // A failure to listen rejects `ready` (main prints it); later errors are only reported here.
    server.on('error', (error) => {
      if (listening) printError(`ipcio serve: ${error.code}: ${error.message}`);
    });
    if (parsed.flags.verbose === true) {
      server.on('client-connected', ({ name }) => printError(`ipcio serve: + ${name}`));
      server.on('client-disconnected', ({ name }) => printError(`ipcio serve: - ${name}`));
    }
    server.start();
    const started = await Promise.race([server.ready.then(() => 'ready' as const), signal]);
    if (started === 'ready') {
      listening = true;
      printError(`ipcio: listening on ${server.socketPath}`);
      await signal;
    }
    await server.close();
    return ExitCode.OK;
  },
};
