import { COMMON_HELP, jsonArgument, millisecondsFlag, requirePositionals, stringFlag } from './args.js';
import { connect, interrupted } from './connect.js';
import { ExitCode, targetFailure, UsageError } from './exit-codes.js';
import { toJson } from './output.js';
import type { Subcommand } from './subcommand.js';

export const stream: Subcommand = {
  name: 'stream',
  summary: 'read a stream from the server or, with --to, a client; print one JSON line per item',
  help: `Usage: ipcio stream [--to NAME] [--window N] [--idle-timeout MS] [--max N] CMD [JSON|-] [common options]

Opens the stream CMD with the JSON value as its data (none if left out; "-"
reads the JSON from stdin) and prints each item as one line of JSON on
stdout, as it arrives. Bytes are written {"$bytes":"<base64>"}. Exits 0 when
the producer ends the stream.

Flow control reaches the producer: when stdout is not being read (a pager, a
slow pipe), ipcio stops reading the stream and the producer pauses once
--window items are on their way. --max N, Ctrl-C, or the reader of the pipe
going away (| head) cancel the stream: the producer's generator is closed.

On failure prints "CODE: message" on stderr and exits 3 (NO_HANDLER,
NO_SUCH_CLIENT, HANDLER_ERROR with the producer's own code, DISCONNECTED
when the producer went away, UNSUPPORTED from a peer without streams) or 4
(TIMEOUT: no item within --idle-timeout).

Options:
  --to NAME            the client to read from (default: the server)
  --window N           items on their way or unread at once, 1 to 1024 (default 16)
  --idle-timeout MS    fail when the producer sends nothing for MS milliseconds (default: wait)
  --max N              stop (cancel) after N items

${COMMON_HELP}`,
  options: { to: { type: 'string' }, window: { type: 'string' }, 'idle-timeout': { type: 'string' }, max: { type: 'string' } },
  async run(parsed) {
    requirePositionals(parsed, 1, 2, 'the command name (CMD)');
    const [command, json] = parsed.positionals as [string, string | undefined];
    const data = await jsonArgument(json);
    const to = stringFlag(parsed, 'to');
    const window = countFlag(parsed.flags.window, 'window', 1024);
    const max = countFlag(parsed.flags.max, 'max', Number.MAX_SAFE_INTEGER);
    const idleTimeoutMs = parsed.flags['idle-timeout'] === undefined ? undefined : millisecondsFlag(parsed, 'idle-timeout', 0);
    const { client } = await connect(parsed);
    const controller = new AbortController();
    void interrupted().then(() => controller.abort());
    const options = { window, idleTimeoutMs, signal: controller.signal };
    const items = to === undefined ? client.stream(command, data, options) : client.streamFrom(to, command, data, options);
    let count = 0;
    try {
      for await (const item of items) {
        // Waiting for stdout to drain before the next item is what carries backpressure to the producer.
        if (!process.stdout.write(`${toJson(item)}\n`)) await drained();
        count += 1;
        if (max !== undefined && count >= max) break;
        if (controller.signal.aborted) break;
      }
    } catch (error) {
      // Ctrl-C: the stream was cancelled on purpose; what was printed is the output.
      if (controller.signal.aborted) return ExitCode.OK;
      throw targetFailure(error, client.connected);
    } finally {
      await client.close();
    }
    return ExitCode.OK;
  },
};

function countFlag(value: unknown, name: string, most: number): number | undefined {
  if (value === undefined) return undefined;
  const count = Number(value);
  if (typeof value !== 'string' || !Number.isInteger(count) || count < 1 || count > most) throw new UsageError(`--${name} must be a whole number from 1 to ${most}, not "${String(value)}"`);
  return count;
}

function drained(): Promise<void> {
  return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
}
