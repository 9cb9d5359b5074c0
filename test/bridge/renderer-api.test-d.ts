import { describe, expectTypeOf, it } from 'vitest';
import type { WebContents } from 'electron';
import { defineContract, type Command } from '../../lib/common/contract.js';
import type { AllowSpec } from '../../lib/electron-main/allow.js';
import type { ChannelFactory } from '../../lib/electron-main/window-bridge.js';
import { bridgeWindow } from '../../lib/electron-main/window-bridge.js';
import { bridgeUtility, type UtilityDeps } from '../../lib/electron-main/utility-bridge.js';
import { IpcServer } from '../../lib/node/server.js';
import type { IpcioWindow, RendererApi } from '../../lib/electron-renderer/index.js';

/** The same kind of contract main and helpers use; the page's types come from it, never written twice. */
interface App {
  server: {
    log: Command<string>;
    settings: Command<undefined, { theme: 'dark' | 'light' }>;
  };
  clients: {
    hasher: { hash: Command<{ path: string }, string> };
    'main-window': { selection: Command<undefined, string[]>; highlight: Command<{ id: number }> };
  };
  broadcasts: { load: { cpu: number } };
}

declare const ipcio: RendererApi<App, 'main-window'>;

describe('the page API typed by the contract', () => {
  it('types calls out of the window', () => {
    expectTypeOf(ipcio.request('settings')).resolves.toEqualTypeOf<{ theme: 'dark' | 'light' }>();
    expectTypeOf(ipcio.requestFrom('hasher', 'hash', { path: '/a' }, { timeoutMs: 100 })).resolves.toEqualTypeOf<string>();
    expectTypeOf(ipcio.emit('log', 'hi')).toEqualTypeOf<void>();
    ipcio.broadcast('load', { cpu: 0.3 });
    ipcio.emitTo('hasher', 'hash', { path: '/b' });

    // @ts-expect-error the server has no such command
    void ipcio.request('hash');
    // @ts-expect-error wrong payload
    void ipcio.requestFrom('hasher', 'hash', { file: '/a' });
    // @ts-expect-error payload required
    ipcio.emit('log');
    // @ts-expect-error unknown client
    void ipcio.requestFrom('nobody', 'hash', { path: '/a' });
    // @ts-expect-error broadcast payload of the wrong type
    ipcio.broadcast('load', { cpu: 'high' });
  });

  it('types what the window listens to and answers', () => {
    const off = ipcio.on('load', ({ data, from }) => {
      expectTypeOf(data).toEqualTypeOf<{ cpu: number }>();
      expectTypeOf(from).toEqualTypeOf<string>();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    ipcio.on('highlight', ({ data }) => expectTypeOf(data).toEqualTypeOf<{ id: number }>());
    ipcio.handle('selection', ({ command }) => {
      expectTypeOf(command).toEqualTypeOf<string>();
      return ['a', 'b'];
    });
    ipcio.handle('selection', async () => ['async']);

    // @ts-expect-error a command this window does not handle
    ipcio.handle('hash', () => 'x');
    // @ts-expect-error the handler must return the contract's result
    ipcio.handle('selection', () => 42);
    // @ts-expect-error not a broadcast nor one of this window's commands
    ipcio.on('settings', () => undefined);
  });

  it('types window.ipcio and the allow list from the same contract', () => {
    const page = {} as IpcioWindow<App, 'main-window'>;
    expectTypeOf(page.ipcio).toEqualTypeOf<RendererApi<App, 'main-window'>>();
    const allow: AllowSpec<App> = { server: ['log'], clients: { hasher: ['hash'] }, broadcasts: ['load'] };
    void allow;
    // @ts-expect-error a command the server does not have
    const wrong: AllowSpec<App> = { server: ['hash'] };
    void wrong;
    // @ts-expect-error a command the hasher does not handle
    const wrongClient: AllowSpec<App> = { clients: { hasher: ['selection'] } };
    void wrongClient;
  });

  it('checks attachWindow and forkUtility allow lists against the server\'s contract', () => {
    const server = new IpcServer({ contract: defineContract<App>() });
    const contents = {} as WebContents;
    const channel = {} as ChannelFactory;
    const deps = {} as UtilityDeps;
    bridgeWindow(server, contents, { name: 'main-window', origins: ['app://main'], allow: { server: ['log'], clients: { hasher: ['hash'] } } }, channel);
    bridgeUtility(server, 'u.js', { name: 'u', allow: { broadcasts: ['load'] } }, deps);
    // @ts-expect-error the server has no such command
    bridgeWindow(server, contents, { name: 'main-window', origins: [], allow: { server: ['nope'] } }, channel);
    // @ts-expect-error the hasher has no such command
    bridgeUtility(server, 'u.js', { name: 'u', allow: { clients: { hasher: ['selection'] } } }, deps);
    // @ts-expect-error origins are required: no window is reachable from any page by default
    bridgeWindow(server, contents, { name: 'main-window', allow: '*' }, channel);
  });
});
