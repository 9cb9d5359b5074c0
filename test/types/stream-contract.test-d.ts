import { describe, expectTypeOf, it } from 'vitest';
import type {
  AnyContract,
  Command,
  CommandKeys,
  HandlerCollection,
  ItemOf,
  Stream,
  StreamCall,
  StreamHandler,
  StreamKeys,
} from '../../lib/common/contract.js';

/** Streams sit in the same maps as commands; every line below is checked by the compiler. */
type SensorCommands = {
  samples: Stream<{ everyMs: number }, { cpu: number }>;
  lines: Stream<undefined, string>;
  reset: Command<undefined, boolean>;
};
type AnyCommands = AnyContract['server'];

describe('stream contracts', () => {
  it('tells streams from commands', () => {
    expectTypeOf<StreamKeys<SensorCommands>>().toEqualTypeOf<'samples' | 'lines'>();
    expectTypeOf<CommandKeys<SensorCommands>>().toEqualTypeOf<'reset'>();
    expectTypeOf<ItemOf<SensorCommands, 'samples'>>().toEqualTypeOf<{ cpu: number }>();
  });

  it('types the caller: payload checked, items typed', () => {
    const stream = null as unknown as StreamCall<SensorCommands>;
    expectTypeOf(stream('samples', { everyMs: 100 })).toEqualTypeOf<AsyncIterableIterator<{ cpu: number }>>();
    expectTypeOf(stream('lines')).toEqualTypeOf<AsyncIterableIterator<string>>();
    stream('samples', { everyMs: 100 }, { window: 4, idleTimeoutMs: 1000, signal: new AbortController().signal });

    // @ts-expect-error a plain command is not a stream
    stream('reset');
    // @ts-expect-error no such stream
    stream('temperature');
    // @ts-expect-error wrong payload shape
    stream('samples', { every: 100 });
    // @ts-expect-error payload required
    stream('samples');
    // @ts-expect-error items used as the wrong type
    void (async () => { for await (const sample of stream('samples', { everyMs: 1 })) sample.cpu.toUpperCase(); })();
    // @ts-expect-error unknown option
    stream('lines', undefined, { credit: 4 });
  });

  it('types the handler: items and payload checked', () => {
    const handlers: HandlerCollection<SensorCommands> = {
      samples: async function* ({ data }) {
        expectTypeOf(data).toEqualTypeOf<{ everyMs: number }>();
        yield { cpu: 0.5 };
      },
      lines: function* () {
        yield 'a';
      },
      reset: () => true,
    };
    void handlers;
    const samples: StreamHandler<SensorCommands['samples']> = async function* ({ data, signal }) {
      expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
      yield { cpu: data.everyMs };
    };
    void samples;

    const wrongItem: HandlerCollection<SensorCommands> = {
      // @ts-expect-error yields a string where { cpu } items are expected
      samples: async function* () {
        yield 'high';
      },
    };
    void wrongItem;
    const wrongPayload: StreamHandler<SensorCommands['samples']> = async function* ({ data }) {
      // @ts-expect-error the payload has no `path`
      yield { cpu: data.path.length };
    };
    void wrongPayload;
  });

  it('untyped use accepts any name and yields unknown', () => {
    const stream = null as unknown as StreamCall<AnyCommands>;
    expectTypeOf(stream('anything', { any: 'data' })).toEqualTypeOf<AsyncIterableIterator<unknown>>();
  });
});
