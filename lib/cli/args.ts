import { parseArgs } from 'node:util';
import { socketPathFor } from '../node/index.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../common/frame-codec.js';
import { checkSocketPathLength } from '../node/socket-path.js';
import { UsageError } from './exit-codes.js';
import { parseJson } from './output.js';
import { nearestFlag } from './suggest.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: false;
}
export type OptionSpecs = Record<string, OptionSpec>;

/** Flags every subcommand takes: where the server is, who we are, and help. */
export const COMMON_OPTIONS: OptionSpecs = {
  domain: { type: 'string' },
  socket: { type: 'string' },
  token: { type: 'string' },
  name: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
};

export const COMMON_HELP = `Common options:
  --domain D      server domain (socket in the per-user directory); default "default"
  --socket PATH   socket path; overrides --domain (env IPCIO_SOCKET when neither is given)
  --token T       token the server requires (env IPCIO_TOKEN; the environment keeps it out of ps)
  --name NAME     client name to connect as (default ipcio-cli-<pid>)
  -v, --verbose   trace every message on stderr
  -h, --help      this help`;

/** The common options minus --name, for serve, whose --name is the server's own (its help says so once). */
export const SERVER_COMMON_HELP = COMMON_HELP.split('\n')
  .filter((line) => !line.trimStart().startsWith('--name'))
  .join('\n');

export interface Parsed {
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** node:util parseArgs, strict: an unknown flag is a usage error (exit 1), never silently ignored. */
export function parse(args: string[], options: OptionSpecs): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { flags: values as Parsed['flags'], positionals };
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }, options));
  }
}

/** parseArgs' own text for an unknown flag talks about positionals and quotes unevenly; say what to do instead. */
function describeParseError(error: Error & { code?: string }, options: OptionSpecs): string {
  const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /Unknown option '([^']*)'/.exec(error.message)?.[1] : undefined;
  if (unknown === undefined) return error.message.replace(/^Option/, 'option');
  if (/^-\d/.test(unknown)) return `unknown option ${unknown}; a JSON argument that starts with "-" goes after "--", as in: -- ${unknown}`;
  const suggestion = nearestFlag(unknown, Object.keys(options));
  return `unknown option ${unknown}${suggestion ? `; did you mean ${suggestion}?` : ''}`;
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const value = parsed.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** A positive whole number of milliseconds. */
export function millisecondsFlag(parsed: Parsed, name: string, fallback: number): number {
  const text = stringFlag(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`--${name} must be a positive number of milliseconds, not "${text}"`);
  return value;
}

/** The optional JSON argument: absent means no data, `-` means read stdin to its end. */
export async function jsonArgument(text: string | undefined): Promise<unknown> {
  if (text === undefined) return undefined;
  const source = text === '-' ? await readStdin() : text;
  try {
    return parseJson(source);
  } catch (error) {
    const where = text === '-' ? 'stdin' : 'the JSON argument';
    throw new UsageError(`${where} is not valid JSON (${(error as Error).message}); quote it for the shell, e.g. '{"a":1}'`);
  }
}

/** More JSON than this cannot go out in one frame (the default limit), so reading stops there. */
export const MAX_STDIN_BYTES = DEFAULT_MAX_FRAME_SIZE;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).byteLength;
    if (total > MAX_STDIN_BYTES) {
      process.stdin.destroy();
      throw new UsageError(`stdin holds more than ${MAX_STDIN_BYTES} bytes, the largest frame ipcio sends (${MAX_STDIN_BYTES / 1024 / 1024} MiB); nothing was sent`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function requirePositionals(parsed: Parsed, min: number, max: number, what: string): void {
  const count = parsed.positionals.length;
  if (count < min) throw new UsageError(`missing ${what}`);
  if (count > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
}

/** An environment variable, with an empty value counting as unset (`IPCIO_SOCKET= cmd` must not mean the path ""). */
export function fromEnv(name: string): string | undefined {
  return process.env[name] || undefined;
}

/** The same precedence as IpcClient: --socket, then --domain, then IPCIO_SOCKET, then the default domain. */
export function resolveSocketPath(parsed: Parsed): string {
  const domain = stringFlag(parsed, 'domain');
  const path = stringFlag(parsed, 'socket') ?? (domain === undefined ? fromEnv('IPCIO_SOCKET') : undefined) ?? socketPathFor(domain ?? 'default');
  checkSocketPathLength(path);
  return path;
}
