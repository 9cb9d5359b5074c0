import { COMMON_HELP, jsonArgument, millisecondsFlag, requirePositionals, stringFlag } from './args.js';
import { connect } from './connect.js';
import { ExitCode, targetFailure } from './exit-codes.js';
import { printResult } from './output.js';
import type { Subcommand } from './subcommand.js';

const DEFAULT_TIMEOUT_MS = 10_000;

export const request: Subcommand = {
  name: 'request',
  summary: 'call a command on the server or, with --to, a client; print the result',
  help: `Usage: ipcio request [--to NAME] [--timeout MS] CMD [JSON|-] [common options]

Calls CMD with the JSON value as its data (none if left out; "-" reads the
JSON from stdin) and prints the result as JSON on stdout (null when the
handler returned nothing). Bytes are written {"$bytes":"<base64>"}, both ways.

On failure prints "CODE: message" on stderr and exits 3 (NO_HANDLER,
NO_SUCH_CLIENT, HANDLER_ERROR with the handler's own code, DISCONNECTED when
the target went away, ...) or 4 (TIMEOUT).

Options:
  --to NAME       the client to ask (default: the server)
  --timeout MS    give up after MS milliseconds (default ${DEFAULT_TIMEOUT_MS})

${COMMON_HELP}`,
  options: { to: { type: 'string' }, timeout: { type: 'string' } },
  async run(parsed) {
    requirePositionals(parsed, 1, 2, 'the command name (CMD)');
    const [command, json] = parsed.positionals as [string, string | undefined];
    const data = await jsonArgument(json);
    const to = stringFlag(parsed, 'to');
    const timeoutMs = millisecondsFlag(parsed, 'timeout', DEFAULT_TIMEOUT_MS);
    const { client } = await connect(parsed);
    try {
      const result = to === undefined ? await client.request(command, data, { timeoutMs }) : await client.requestFrom(to, command, data, { timeoutMs });
      printResult(result);
      return ExitCode.OK;
    } catch (error) {
      throw targetFailure(error, client.connected);
    } finally {
      await client.close();
    }
  },
};
