import { COMMON_HELP, jsonArgument, requirePositionals } from './args.js';
import { connect, processedByServer } from './connect.js';
import { ExitCode } from './exit-codes.js';
import type { Subcommand } from './subcommand.js';

export const broadcast: Subcommand = {
  name: 'broadcast',
  summary: 'send a one-way command to every other connected client',
  help: `Usage: ipcio broadcast CMD [JSON|-] [common options]

Sends CMD with the JSON value as its data (none if left out; "-" reads the
JSON from stdin) to every other connected client; each one that handles CMD
runs its handler. Bytes are written {"$bytes":"<base64>"}.

Exits 0 once the server has relayed it, whether or not any client handles
CMD (a broadcast has no single target to miss); 3 with "CODE: message" on
stderr when the server refuses it (FORBIDDEN).

${COMMON_HELP}`,
  options: {},
  async run(parsed) {
    requirePositionals(parsed, 1, 2, 'the command name (CMD)');
    const [command, json] = parsed.positionals as [string, string | undefined];
    const data = await jsonArgument(json);
    const connection = await connect(parsed);
    try {
      connection.client.broadcast(command, data);
      await processedByServer(connection);
      return ExitCode.OK;
    } finally {
      await connection.client.close();
    }
  },
};
