import type { HandlerContainer } from '../node/index.js';
import { COMMON_HELP, stringFlag } from './args.js';
import { connect, disconnected, interrupted } from './connect.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { printError, printJsonLine } from './output.js';
import type { Subcommand } from './subcommand.js';

export const listen: Subcommand = {
  name: 'listen',
  summary: 'connect as a named client handling CMD...; print what arrives',
  help: `Usage: ipcio listen --name NAME CMD... [common options]

Connects as NAME and handles each CMD: every emit, request or broadcast of
those commands is printed on stdout as one JSON line
  {"command":"job","from":"main","data":{"id":7}}
and requests are answered with null. Prints "listening as NAME for CMD, ..."
on stderr once connected. Runs until SIGINT/SIGTERM (exit 0) or until the
server goes away (exit 2; it does not reconnect). NAME_TAKEN exits 2.

${COMMON_HELP}`,
  options: {},
  async run(parsed) {
    const commands = parsed.positionals;
    if (commands.length === 0) throw new UsageError('name at least one command to listen for');
    if (stringFlag(parsed, 'name') === undefined) throw new UsageError('--name is required: other clients address a listener by its name');
    const print = ({ command, client_name, data }: HandlerContainer) => {
      printJsonLine({ command, from: client_name, data });
      return null;
    };
    const handlers = Object.fromEntries(commands.map((command) => [command, print]));
    const { client } = await connect(parsed, handlers);
    printError(`ipcio: listening as ${client.name} for ${commands.join(', ')}`);
    const outcome = await Promise.race([interrupted(), disconnected(client)]);
    await client.close();
    if (typeof outcome === 'string') return ExitCode.OK;
    throw outcome;
  },
};
