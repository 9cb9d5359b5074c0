import { COMMON_HELP, jsonArgument, requirePositionals, stringFlag } from './args.js';
import { connect, processedByServer } from './connect.js';
import { ExitCode } from './exit-codes.js';
import type { Subcommand } from './subcommand.js';

export const emit: Subcommand = {
  name: 'emit',
  summary: 'send a one-way command to the server or, with --to, a client',
  help: `Usage: ipcio emit [--to NAME] CMD [JSON|-] [common options]

Sends CMD with the JSON value as its data (none if left out; "-" reads the
JSON from stdin). Bytes are written {"$bytes":"<base64>"}. Without --to the
server handles it; with --to, the client called NAME does.

Exits once the server has processed the emit: 3 with "NO_SUCH_CLIENT: ..." or
"NO_HANDLER: ..." on stderr when the server reports it could not deliver it.
(Whether the target client's handler then succeeds is not reported: use
"ipcio request" for that.)

Options:
  --to NAME       the client to send to

${COMMON_HELP}`,
  options: { to: { type: 'string' } },
  async run(parsed) {
    requirePositionals(parsed, 1, 2, 'the command name (CMD)');
    const [command, json] = parsed.positionals as [string, string | undefined];
    const data = await jsonArgument(json);
    const to = stringFlag(parsed, 'to');
    const connection = await connect(parsed);
    const { client } = connection;
    try {
      if (to === undefined) client.emit(command, data);
      else client.emitTo(to, command, data);
      await processedByServer(connection);
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  },
};
