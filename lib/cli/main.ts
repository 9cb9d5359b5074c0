#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { COMMON_OPTIONS, parse } from './args.js';
import { discover } from './discover.js';
import { emit } from './emit.js';
import { describeError, ExitCode, exitCodeFor, UsageError } from './exit-codes.js';
import { listen } from './listen.js';
import { monitor } from './monitor.js';
import { flushOutput, printError } from './output.js';
import { request } from './request.js';
import { stream } from './stream.js';
import { serve } from './serve.js';
import type { Subcommand } from './subcommand.js';
import { nearestFlag } from './suggest.js';
import { broadcast } from './broadcast.js';

const SUBCOMMANDS: readonly Subcommand[] = [serve, discover, emit, broadcast, request, stream, listen, monitor];

const HELP = `Usage: ipcio <command> [options]

Commands:
${SUBCOMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}

"ipcio <command> --help" describes each command and its options.

Exit status:
  0  success
  1  usage error (unknown flag, missing argument, bad JSON) or another local failure
  2  connection failure: no server at the socket, AUTH_FAILED, NAME_TAKEN,
     handshake timeout, or the connection was lost; for serve, cannot listen
  3  the server or target client answered with an error ("CODE: message" on stderr)
  4  timeout

See docs/CLI.md for examples.`;

async function main(argv: string[]): Promise<ExitCode> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    printError(HELP);
    return ExitCode.USAGE;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = SUBCOMMANDS.find((c) => c.name === rest[0]);
    process.stdout.write(`${topic ? topic.help : HELP}\n`);
    return ExitCode.OK;
  }
  if (first === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return ExitCode.OK;
  }
  const command = SUBCOMMANDS.find((c) => c.name === first);
  if (!command) throw new UsageError(unknownCommand(first));
  try {
    const parsed = parse(rest, { ...COMMON_OPTIONS, ...command.options });
    if (parsed.flags.help === true) {
      process.stdout.write(`${command.help}\n`);
      return ExitCode.OK;
    }
    return await command.run(parsed);
  } catch (error) {
    if (error instanceof UsageError) error.message += `\nSee "ipcio ${command.name} --help".`;
    throw error;
  }
}

function unknownCommand(typed: string): string {
  const names = SUBCOMMANDS.map((c) => c.name);
  const nearest = typed.startsWith('-') ? nearestFlag(typed, ['help', 'version']) : nearestFlag(typed, names)?.slice(2);
  const guess = nearest === undefined ? '' : `; did you mean "${nearest}"?`;
  return `unknown ${typed.startsWith('-') ? 'option' : 'command'} "${typed}"${guess}\nCommands: ${names.join(', ')}. See "ipcio --help".`;
}

// `ipcio monitor | head` closing the pipe is a normal way to stop reading, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCode.OK);
});

const code = await main(process.argv.slice(2)).catch((error: unknown) => {
  printError(describeError(error));
  return exitCodeFor(error);
});
await flushOutput();
// Explicit: a socket still finishing its goodbye must not hold the exit or change its status.
process.exit(code);
