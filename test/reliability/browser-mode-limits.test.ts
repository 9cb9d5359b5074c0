import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { WebSocketCloseCode } from '../../lib/common/websocket-protocol.js';
import { connectPage, openRaw } from '../browser-mode/support/ws-page.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { mib, MiB, reportFigures, scale } from './support/harness.js';

const SERVER = fileURLToPath(new URL('./fixtures/browser-mode-server.mjs', import.meta.url));
const MAX_CONNECTIONS = 8;

interface Report {
  baselineRss: number;
  peakRss: number;
  rss: number;
  warnings: string[];
}

/** Browser mode's transport in its own process, attacked over real TCP (issue 11, item 6). */
describe('browser mode: unauthenticated and refused connections hold nothing, connections are capped', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: ChildProcessWithoutNullStreams;
  let out = '';
  let port = 0;
  let token = '';
  let url = '';
  let origin = '';

  async function report(): Promise<Report> {
    const before = out.length;
    server.stdin.write('report\n');
    await until(() => out.slice(before).includes('\n'), 10_000, 'the report');
    return JSON.parse(out.slice(before).split('\n')[0] as string) as Report;
  }

  beforeAll(async () => {
    socket = tempSocket();
    server = spawn(process.execPath, [SERVER, socket.socketPath, String(MAX_CONNECTIONS)]);
    server.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    await until(() => out.includes('\n'), 10_000, 'the transport');
    ({ port, token } = JSON.parse(out.split('\n')[0] as string) as { port: number; token: string });
    url = `ws://127.0.0.1:${port}/ipcio`;
    origin = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.kill('SIGKILL');
    await new Promise((resolve) => server.on('exit', resolve));
    socket.cleanup();
  });

  it('64 MiB messages before the auth message, with a good Origin and with a refused one: dropped, memory bounded', async () => {
    const goodOrigin = scale(4, 16);
    const badOrigin = scale(4, 32);
    const big = Buffer.alloc(64 * MiB - 1024, 1);
    const attack = (withOrigin: string): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(url, { origin: withOrigin });
        ws.on('open', () => ws.send(big, () => undefined));
        ws.on('error', () => undefined);
        ws.on('close', (code) => resolve(code));
      });
    // Few at a time: the cap on connections would refuse the rest with 4429, which is not what this tests.
    const codes: number[] = [];
    for (let i = 0; i < goodOrigin; i += MAX_CONNECTIONS / 2) codes.push(...(await Promise.all(Array.from({ length: Math.min(MAX_CONNECTIONS / 2, goodOrigin - i) }, () => attack(origin)))));
    for (let i = 0; i < badOrigin; i += MAX_CONNECTIONS / 2) codes.push(...(await Promise.all(Array.from({ length: Math.min(MAX_CONNECTIONS / 2, badOrigin - i) }, () => attack('http://evil.example')))));
    const figures = await report();
    reportFigures('browser mode: 64 MiB before auth', {
      goodOrigin,
      badOrigin,
      baselineMiB: mib(figures.baselineRss),
      peakMiB: mib(figures.peakRss),
      growthMiB: mib(figures.peakRss - figures.baselineRss),
      afterMiB: mib(figures.rss),
      closeCodes: [...new Set(codes)].join('/'),
    });
    expect(codes).toHaveLength(goodOrigin + badOrigin);
    expect(figures.warnings.filter((w) => w.includes('before authentication')).length).toBe(goodOrigin);
    // Before the fix: 16 connections took the server from 60 to 1,075 MiB, 32 refused ones to 2.1 GB.
    expect(figures.peakRss - figures.baselineRss).toBeLessThan(64 * MiB);
    // And the page that comes next is served.
    const page = connectPage(url, { token, name: 'after-attack', origin });
    await page.connect().ready;
    expect(await page.request('ping')).toBe('pong');
    await page.close();
  }, 300_000);

  it(`caps open WebSockets at maxConnections (4429 TOO_MANY_CONNECTIONS) and TCP connections at twice that`, async () => {
    const pages: WebSocket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
      const ws = new WebSocket(`${url}?token=${token}&name=page-${i}`, { origin });
      await new Promise((resolve) => ws.once('open', resolve));
      pages.push(ws);
    }
    expect(await openRaw(`${url}?token=${token}&name=one-too-many`, { origin })).toEqual({ code: WebSocketCloseCode.TOO_MANY_CONNECTIONS, reason: 'TOO_MANY_CONNECTIONS' });
    for (const page of pages) page.close();
    await Promise.all(pages.map((page) => new Promise((resolve) => (page.readyState === WebSocket.CLOSED ? resolve(undefined) : page.once('close', resolve)))));

    const idleCount = scale(4 * MAX_CONNECTIONS, 1000);
    const idle: Socket[] = [];
    const closedByServer = new Set<Socket>();
    for (let i = 0; i < idleCount; i += 1) {
      const tcp = createConnection(port, '127.0.0.1');
      tcp.on('error', () => undefined);
      tcp.on('close', () => closedByServer.add(tcp));
      idle.push(tcp);
    }
    // Every connection beyond twice the cap is closed by the server on accept.
    await until(() => closedByServer.size >= idleCount - 2 * MAX_CONNECTIONS, 30_000, 'the excess TCP connections to be closed');
    const figures = await report();
    reportFigures('browser mode: idle TCP connections', { opened: idleCount, keptByServer: idleCount - closedByServer.size, cap: 2 * MAX_CONNECTIONS, rssMiB: mib(figures.rss) });
    // At most the cap (one less while a connection of the step before is still being torn down).
    expect(idleCount - closedByServer.size).toBeLessThanOrEqual(2 * MAX_CONNECTIONS);
    expect(idleCount - closedByServer.size).toBeGreaterThan(0);
    for (const tcp of idle) tcp.destroy();
    await until(() => closedByServer.size === idleCount, 10_000, 'the idle connections to close');
  }, 120_000);
});
