import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempSocket, until } from '../support/temp-socket.js';
import { Child, mib, MiB, percentile, reportFigures, scale, SOAK, startServer, stopAllChildren, type ClientSummary, type ServerMemory, type ServerStats } from './support/harness.js';

/**
 * Load: many clients in several processes, each sending emits to the server
 * and requests (half to the server, half to a client in another process,
 * through the server), one request in flight per client, while the server
 * broadcasts to everyone. Nothing may be lost or reordered; throughput and
 * request latency are printed.
 */
describe('load', () => {
  let socket: ReturnType<typeof tempSocket>;

  beforeEach(() => {
    socket = tempSocket();
  });

  afterEach(async () => {
    await stopAllChildren();
    socket.cleanup();
  });

  interface Plan {
    label: string;
    processes: number;
    clientsPerProcess: number;
    messages: number;
    requests: number;
    payloadBytes: number;
    broadcastEveryMs: number;
  }

  async function runLoad(plan: Plan): Promise<void> {
    const { processes, clientsPerProcess, messages, requests, payloadBytes } = plan;
    const clients = processes * clientsPerProcess;
    const server = await startServer({ socketPath: socket.socketPath });
    const fleets = Array.from({ length: processes }, (_, p) =>
      Child.start('rel-clients.mjs', { socketPath: socket.socketPath, prefix: `L${p}`, count: clientsPerProcess, reconnect: { minMs: 20, maxMs: 500 }, requestTimeoutMs: 0 }, { label: `L${p}` }),
    );
    await Promise.all(fleets.map((f) => f.call('connect')));
    await until(async () => (await server.call<string[]>('clients')).length === clients, 30_000, 'every client to be welcomed');
    const baseline = await server.call<ServerMemory>('resetHwm');
    await server.call('startBroadcast', plan.broadcastEveryMs, 1, payloadBytes > 0 ? 64 * 1024 : 0);
    const started = performance.now();
    const results = await Promise.all(
      fleets.map((f, p) => f.call<{ elapsedMs: number; clients: ClientSummary[] }>('load', { messages, requests, payloadBytes, partnerPrefix: `L${(p + 1) % processes}` })),
    );
    const sendingMs = performance.now() - started;
    const ticks = await server.call<number>('stopBroadcast');
    // Everything sent is received: emits at the server in order, broadcasts at every client in order.
    const streamKey = (name: string): string => (payloadBytes > 0 ? `blob:${name}` : name);
    await until(
      async () => {
        const stats = await server.call<ServerStats>('stats');
        return fleets.length > 0 && Object.values(stats.streams).filter((s) => s.count === messages).length >= clients;
      },
      SOAK ? 600_000 : 30_000,
      'every emit to arrive',
    );
    await until(async () => (await Promise.all(fleets.map((f) => f.call<ClientSummary[]>('summary')))).flat().every((c) => c.ticks.count === ticks), 60_000, 'every broadcast to arrive');
    const drainedMs = performance.now() - started;
    const summaries = (await Promise.all(fleets.map((f) => f.call<ClientSummary[]>('summary')))).flat();
    const stats = await server.call<ServerStats>('stats');
    const memory = await server.call<ServerMemory>('memory');
    for (const c of summaries) {
      expect(stats.streams[streamKey(c.name)], c.name).toMatchObject({ first: 0, last: messages - 1, count: messages, violations: 0 });
      expect({ name: c.name, ticks: c.ticks.count, first: c.ticks.first, violations: c.ticks.violations }).toEqual({ name: c.name, ticks, first: 0, violations: 0 });
      expect({ name: c.name, ok: c.requests.ok, bad: c.requests.bad, failed: c.requests.byCode, pending: c.pending }).toEqual({ name: c.name, ok: requests, bad: 0, failed: {}, pending: 0 });
      expect(c.disconnects).toEqual([]);
    }
    expect(stats.badBlobs).toBe(0);
    expect(results.flatMap((r) => r.clients)).toHaveLength(clients);
    const latencies = Float64Array.from((await Promise.all(fleets.map((f) => f.call<Float64Array>('latencies')))).flatMap((l) => Array.from(l))).sort();
    const emits = clients * messages;
    const requestsTotal = clients * requests;
    const broadcastDeliveries = ticks * clients;
    // Messages on the wire: each emit once; a request and its response, twice more when routed through to a partner.
    const wireMessages = emits + requestsTotal * 2 + (requestsTotal / 2) * 2 + broadcastDeliveries;
    const seconds = drainedMs / 1000;
    reportFigures(`load/${plan.label}`, {
      processes,
      clients,
      payload: payloadBytes > 0 ? `${mib(payloadBytes)} MiB binary` : 'small JSON',
      emitsSent: emits,
      emitsReceived: Object.values(stats.streams).reduce((n, s) => n + s.count, 0),
      requests: requestsTotal,
      requestsOk: summaries.reduce((n, c) => n + c.requests.ok, 0),
      broadcasts: ticks,
      broadcastDeliveries,
      lost: 0,
      orderViolations: 0,
      seconds,
      sendPhaseSeconds: sendingMs / 1000,
      messagesPerSecond: Math.round(wireMessages / seconds),
      ...(payloadBytes > 0 ? { payloadMiBPerSecond: Math.round(((emits + requestsTotal * 2 + requestsTotal) * payloadBytes) / MiB / seconds) } : {}),
      requestP50Ms: percentile(latencies, 50),
      requestP99Ms: percentile(latencies, 99),
      requestMaxMs: latencies[latencies.length - 1] ?? Number.NaN,
      serverRssBaselineMiB: mib(baseline.rssHwm),
      serverRssHwmMiB: mib(memory.rssHwm),
    });
  }

  it(
    'many clients in several processes, emits and requests while broadcasts flow: zero lost, per-client order',
    async () => {
      await runLoad(
        scale(
          { label: 'small messages', processes: 3, clientsPerProcess: 20, messages: 1_000, requests: 400, payloadBytes: 0, broadcastEveryMs: 5 },
          { label: 'small messages', processes: 5, clientsPerProcess: 100, messages: 2_000, requests: 1_000, payloadBytes: 0, broadcastEveryMs: 10 },
        ),
      );
    },
    scale(30_000, 1_200_000),
  );

  it(
    'the same with 1 MiB binary payloads',
    async () => {
      await runLoad(
        scale(
          { label: '1 MiB binary payloads', processes: 2, clientsPerProcess: 8, messages: 16, requests: 8, payloadBytes: MiB, broadcastEveryMs: 20 },
          { label: '1 MiB binary payloads', processes: 5, clientsPerProcess: 100, messages: 20, requests: 10, payloadBytes: MiB, broadcastEveryMs: 50 },
        ),
      );
    },
    scale(30_000, 1_200_000),
  );
});
