import type { OptionSpecs, Parsed } from './args.js';
import type { ExitCode } from './exit-codes.js';

/** One `ipcio <name>` subcommand: its own flags (added to the common ones), help text and action. */
export interface Subcommand {
  name: string;
  summary: string;
  help: string;
  options: OptionSpecs;
  /** Resolves with the exit status; throws UsageError or IpcError, which main maps to one. */
  run(parsed: Parsed): Promise<ExitCode>;
}
