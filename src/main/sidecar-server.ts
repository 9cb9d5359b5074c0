import { randomBytes } from 'node:crypto';
import type { Logger } from 'ipcio';
import { IpcServer } from 'ipcio';
import type { AppContract, AppMode, WindowName } from '../shared/app-contract.js';
import { appRoot } from './app-root.js';
import { codedError, spawnHelpers, type AppHelpers } from './helpers.js';

export interface SidecarServerOptions {
  mode: AppMode;
  /** Opens another window (Electron) or says where to open it (browser mode). */
  openWindow: () => { name: WindowName; url?: string };
  /** Socket domain; default SIDECAR_CONSOLE_DOMAIN or "sidecar-console" (tests run their own). */
  domain?: string;
  logger?: Logger;
}

export interface SidecarServer {
  server: IpcServer<AppContract>;
  helpers: AppHelpers;
  /** Stops the helpers (SIGTERM, then SIGKILL) and closes every connection. */
  close(): Promise<void>;
}

/**
 * The part of main both modes share, and the only one that knows about
 * helpers: the ipcio server, the supervised helpers, main's own commands,
 * and the peer notices every window shows live. Knows nothing of Electron,
 * so browser mode runs it in plain Node.
 */
export async function startSidecarServer(options: SidecarServerOptions): Promise<SidecarServer> {
  const root = appRoot();
  const server = new IpcServer<AppContract>({
    domain: options.domain ?? process.env.SIDECAR_CONSOLE_DOMAIN ?? 'sidecar-console',
    name: 'main',
    // Only processes main starts get in: each helper gets its own token, windows and pages come through trusted transports.
    token: randomBytes(32).toString('hex'),
    logger: options.logger,
  });
  // The handlers exist before the helpers do: main's commands are registered before anyone can connect.
  const started: { helpers?: AppHelpers } = {};
  server.addHandlers({
    whoami: ({ client_name }) => ({ name: client_name, mode: options.mode }),
    newWindow: () => options.openWindow(),
    helpers: () => started.helpers?.status() ?? [],
    killHelper: ({ data }) => {
      if (!started.helpers) throw codedError('E_NOT_READY', 'the helpers are not started yet');
      return { pid: started.helpers.kill(String(data?.name)) };
    },
  });
  // A failure to start rejects `ready` and is reported once, by the caller; later errors are logged here.
  let listening = false;
  server.on('error', (error) => {
    if (listening) (options.logger ?? console).error(`[sidecar console] ${error.code}: ${error.message}`);
  });
  server.on('client-connected', ({ name, kind }) => server.broadcast('peerJoined', { name, kind }));
  server.on('client-disconnected', ({ name, kind }) => server.broadcast('peerLeft', { name, kind }));
  server.start();
  await server.ready;
  listening = true;
  const helpers = spawnHelpers(server, root);
  started.helpers = helpers;
  return { server, helpers, close: () => server.close() };
}

/** The one line printed when the app cannot start; DOMAIN_IN_USE says how to run a second one. */
export function describeStartupFailure(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const line = `sidecar console could not start: ${code ?? 'ERROR'}: ${message ?? String(error)}`;
  if (code !== 'DOMAIN_IN_USE') return line;
  return `${line}\nAnother sidecar console is running on this domain. Stop it, or start this one on a domain of its own: SIDECAR_CONSOLE_DOMAIN=second npm start`;
}
