import { COMMON_HELP, requirePositionals } from './args.js';
import { connect } from './connect.js';
import { ExitCode } from './exit-codes.js';
import { printResult } from './output.js';
import type { Subcommand } from './subcommand.js';

export const discover: Subcommand = {
  name: 'discover',
  summary: 'list connected clients and the commands each handles',
  help: `Usage: ipcio discover [common options]

Prints, as JSON, the connected clients (this one included), the server's
command names and each client's command names:
  {"clients":["ipcio-cli-4242","hasher"],"commands":[],"peers":{"hasher":["hash"]}}

${COMMON_HELP}`,
  options: {},
  async run(parsed) {
    requirePositionals(parsed, 0, 0, '');
    const { client } = await connect(parsed);
    try {
      printResult(await client.discover());
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  },
};
