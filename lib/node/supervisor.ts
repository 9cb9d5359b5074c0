import type { AnyContract } from '../common/contract.js';
import { ErrorCode, IpcError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { HelperProcess, type HelperOptions, type SupervisedHelper } from './supervised-helper.js';
import type { IpcServer } from './server.js';

export type { HelperOptions, SupervisedHelper } from './supervised-helper.js';

/**
 * The helper processes of one server (`server.spawn()`): each under its own
 * name and token. Closing the server stops them all; if the process exits
 * without that, the exit hook still signals them, so none outlives the app.
 */
export class Supervisor {
  private readonly helpers = new Map<string, HelperProcess>();
  private closed = false;
  private readonly onProcessExit = (): void => {
    for (const helper of this.helpers.values()) helper.killNow();
  };

  constructor(
    private readonly server: IpcServer<AnyContract>,
    private readonly logger: Logger,
  ) {}

  spawn(command: string, args: readonly string[], options: HelperOptions): SupervisedHelper {
    if (this.closed) throw new IpcError(ErrorCode.CLOSED, 'the server is closed');
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      throw new IpcError(ErrorCode.INVALID_ARGUMENT, 'a helper needs a name');
    }
    if (this.helpers.has(options.name)) {
      throw new IpcError(ErrorCode.INVALID_ARGUMENT, `a helper named "${options.name}" is already supervised`);
    }
    if (this.helpers.size === 0) process.on('exit', this.onProcessExit);
    // A stopped helper is forgotten, so its name can be supervised again.
    const helper = new HelperProcess(this.server, command, args, options, options.logger ?? this.logger, () => this.forget(helper));
    this.helpers.set(options.name, helper);
    helper.start();
    return helper;
  }

  /** Stops every helper (SIGTERM, then SIGKILL after each one's grace period). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.helpers.values()].map((helper) => helper.stop()));
  }

  private forget(helper: HelperProcess): void {
    if (this.helpers.get(helper.name) !== helper) return;
    this.helpers.delete(helper.name);
    if (this.helpers.size === 0) process.off('exit', this.onProcessExit);
  }
}
