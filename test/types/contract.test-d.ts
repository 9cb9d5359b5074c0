import { describe, expectTypeOf, it } from 'vitest';
import { defineContract, IpcClient, IpcServer, type Command, type Discovery } from '../../lib/node/index.js';

/** One contract shared by main, helpers, preload and renderer: every line below is checked by the compiler. */
const app = defineContract<{
  server: {
    log: Command<string>;
    settings: Command<undefined, { theme: 'dark' | 'light' }>;
  };
  clients: {
    hasher: { hash: Command<{ path: string }, string>; stop: Command };
    window: { selection: Command<undefined, string[]> };
  };
  broadcasts: { load: { cpu: number } };
}>();

describe('typed contracts', () => {
  it('types the server side', () => {
    const server = new IpcServer({ contract: app }, {
      log: ({ data }) => {
        expectTypeOf(data).toEqualTypeOf<string>();
      },
      settings: () => ({ theme: 'dark' as const }),
    });

    expectTypeOf(server.request('hasher', 'hash', { path: '/a' })).resolves.toEqualTypeOf<string>();
    expectTypeOf(server.request('window', 'selection')).resolves.toEqualTypeOf<string[]>();
    server.emit('hasher', 'stop');
    server.broadcast('load', { cpu: 0.5 });

    // @ts-expect-error unknown client name
    void server.request('nobody', 'hash', { path: '/a' });
    // @ts-expect-error command the hasher does not handle
    void server.request('hasher', 'selection');
    // @ts-expect-error wrong payload shape
    void server.request('hasher', 'hash', { file: '/a' });
    // @ts-expect-error payload required
    void server.request('hasher', 'hash');
    // @ts-expect-error broadcast payload of the wrong type
    server.broadcast('load', { cpu: 'high' });
    // @ts-expect-error handler returning the wrong result type
    server.addHandlers({ settings: () => ({ theme: 'blue' }) });
    // @ts-expect-error handler for a command the server does not have
    server.addHandlers({ hash: () => 'x' });
  });

  it('types a named client from the same contract', () => {
    const hasher = new IpcClient(
      { contract: app, name: 'hasher' },
      {
        hash: ({ data }) => {
          expectTypeOf(data).toEqualTypeOf<{ path: string }>();
          return `sha256:${data.path}`;
        },
        load: ({ data }) => {
          expectTypeOf(data.cpu).toEqualTypeOf<number>();
        },
      },
    );
    expectTypeOf(hasher.request('settings')).resolves.toEqualTypeOf<{ theme: 'dark' | 'light' }>();
    expectTypeOf(hasher.requestFrom('window', 'selection')).resolves.toEqualTypeOf<string[]>();
    expectTypeOf(hasher.discover()).resolves.toEqualTypeOf<Discovery>();
    hasher.emit('log', 'started');
    hasher.emitTo('hasher', 'stop');

    // @ts-expect-error the server has no such command
    hasher.emit('launch', 1);
    // @ts-expect-error log takes a string
    hasher.emit('log', 42);
    // @ts-expect-error result used as the wrong type
    hasher.request('settings').then((s) => s.theme.toFixed());
    // @ts-expect-error the window does not handle hash
    void hasher.requestFrom('window', 'hash', { path: '' });

    new IpcClient(
      { contract: app, name: 'hasher' },
      // @ts-expect-error a hash handler must return a string
      { hash: () => 42 },
    );
  });

  it('stays untyped without a contract, as in the seed', () => {
    const client = new IpcClient({ name: 'anything' }, { whatever: ({ data }) => data });
    client.emit('any-command', { any: 'data' });
    expectTypeOf(client.request('x', 1)).resolves.toBeAny();
  });
});
