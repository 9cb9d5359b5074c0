import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { logSafe } from '../common/log-text.js';
import { setLongTimeout } from '../common/long-timer.js';
import type { Logger } from '../common/logger.js';
import type { PeerPolicy } from '../common/peer.js';
import type { ServerCore } from '../common/server-core.js';
import { WebSocketPort } from '../common/websocket-port.js';
import { maxMessageBytes, WebSocketCloseCode, WEBSOCKET_PATH, type WebSocketAuth } from '../common/websocket-protocol.js';

/** Loopback only: browser mode is for the developer on this machine, never the network. */
const LOOPBACK = '127.0.0.1';
const TOKEN_BYTES = 32;
const DEFAULT_AUTH_TIMEOUT_MS = 5_000;
/** An auth message is a token and a name; anything longer is not one. */
const MAX_AUTH_MESSAGE_BYTES = 1024;
/**
 * Bytes a connection may send after the upgrade and before it is authenticated (the auth message and
 * its WebSocket framing, with room to spare); one more and it is dropped at once. Without this, ws
 * would buffer up to maxPayload (64 MiB) for anyone who can reach the port.
 */
export const MAX_UNAUTHENTICATED_BYTES = 4 * 1024;
/** Default cap on open WebSockets; TCP connections are capped at twice this (idle ones included). */
export const DEFAULT_MAX_CONNECTIONS = 32;
/** How long a refused connection may take to read its close frame before it is destroyed. */
const REFUSED_CLOSE_GRACE_MS = 1000;

export interface WebSocketTransportOptions {
  /** TCP port on 127.0.0.1; 0 (default) takes a free one. */
  port?: number;
  /** The shared secret pages must present; default 32 random bytes, new at every start. */
  token?: string;
  /** Origins allowed besides this transport's own (http://127.0.0.1:<port>, http://localhost:<port>), e.g. a dev server's. */
  origins?: readonly string[];
  /** Answers plain HTTP requests on the same port (the page itself), so the page's origin is the transport's own. */
  requestListener?: RequestListener;
  /**
   * The name a page gets, from the one it asks for (`?name=` or the auth
   * message); false refuses it (close code 4400). Main names its windows in
   * Electron; here this function does. Default: the asked name, else `page-<n>`.
   */
  peerName?: (requested: string | undefined) => string | false;
  /** What a page may call, emit or broadcast (see allowPolicy in ipcio/main); default everything. */
  allow?: PeerPolicy['allow'];
  /** Largest frame accepted from a page; default the server's. Enforced by ws as maxPayload too. */
  maxFrameSize?: number;
  /** Time a page has to send its auth message when the token is not in the URL. */
  authTimeoutMs?: number;
  /** Bytes a page may leave unread before it is dropped with SLOW_CONSUMER (default: maxFrameSize + 16 MiB). */
  maxPendingWriteBytes?: number;
  /**
   * Open WebSockets at most (default 32); one more is refused with close code 4429
   * TOO_MANY_CONNECTIONS. TCP connections, idle ones included, are capped at twice this: the
   * kernel-level excess is closed on accept, so nobody can exhaust main's file descriptors.
   */
  maxConnections?: number;
  /** Where refused connections are reported (default console). */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * Browser mode's transport: pages on 127.0.0.1 reach the same router as
 * helpers and windows, over a WebSocket. Everything that could let another
 * page or process in is refused before the router sees a byte: a foreign
 * `Origin` or `Host` (a web page the developer visits, DNS rebinding), a
 * missing or wrong token, a name the app does not hand out. Each accepted
 * connection is a trusted window peer, as an Electron window is, because
 * holding the token is what main's own pages do.
 *
 * Close codes are in WebSocketCloseCode (lib/common/websocket-protocol.ts).
 */
export class WebSocketTransport {
  readonly token: string;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly maxFrameSize: number;
  private readonly logger: Pick<Logger, 'warn'>;
  private readonly maxConnections: number;
  private listeningPort = 0;
  private pageCount = 0;
  private closing: Promise<void> | undefined;
  /** Connections past the auth step; the others are held to MAX_UNAUTHENTICATED_BYTES. */
  private readonly admitted = new WeakSet<WebSocket>();

  private constructor(
    private readonly server: ServerCore,
    private readonly options: WebSocketTransportOptions,
  ) {
    this.token = options.token ?? randomBytes(TOKEN_BYTES).toString('base64url');
    this.maxFrameSize = options.maxFrameSize ?? server.maxFrameSize;
    this.logger = options.logger ?? console;
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    this.http = createServer(options.requestListener ?? ((_request, response) => response.writeHead(404).end()));
    this.http.maxConnections = 2 * this.maxConnections;
    this.http.on('drop', () => this.logger.warn(`[ipcio] browser mode refused a TCP connection: TOO_MANY_CONNECTIONS (over ${this.http.maxConnections})`));
    // ws enforces the frame limit itself, before it buffers an oversized message (close 1009).
    this.wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes(this.maxFrameSize) });
    this.http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(request, socket, head));
  }

  /** Starts listening on 127.0.0.1; resolves once the port is known. */
  static async listen(server: ServerCore, options: WebSocketTransportOptions = {}): Promise<WebSocketTransport> {
    const transport = new WebSocketTransport(server, options);
    await new Promise<void>((resolve, reject) => {
      transport.http.once('error', reject);
      transport.http.listen(options.port ?? 0, LOOPBACK, () => {
        transport.http.off('error', reject);
        resolve();
      });
    });
    const address = transport.http.address();
    transport.listeningPort = typeof address === 'object' && address !== null ? address.port : 0;
    return transport;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** The origin pages are served from, and the only one allowed unless `origins` adds more. */
  get origin(): string {
    return `http://${LOOPBACK}:${this.listeningPort}`;
  }

  /** Where pages connect (without the token). */
  get url(): string {
    return `ws://${LOOPBACK}:${this.listeningPort}${WEBSOCKET_PATH}`;
  }

  /** Closes every page connection (1001) and stops listening. Safe to call again. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(WebSocketCloseCode.GOING_AWAY, 'server closing');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', this.origin);
    if (url.pathname !== WEBSOCKET_PATH) {
      // Not an ipcio endpoint: no WebSocket at all.
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      // A protocol error (oversized message: 1009) closes the socket itself; 'close' follows and the port reports it.
      ws.on('error', (error) => this.logger.warn(`[ipcio] browser mode WebSocket error: ${logSafe(error.message)}`));
      this.limitUntilAuthenticated(ws, socket, head.byteLength);
      if (this.wss.clients.size > this.maxConnections) {
        this.refuse(ws, WebSocketCloseCode.TOO_MANY_CONNECTIONS, 'TOO_MANY_CONNECTIONS', `over ${this.maxConnections} open WebSockets`);
        return;
      }
      // Refusals happen after the upgrade so the page can read why from the close code.
      const hostAndOrigin = this.checkHostAndOrigin(request);
      if (hostAndOrigin !== undefined) {
        this.refuse(ws, WebSocketCloseCode.ORIGIN_REFUSED, 'ORIGIN_REFUSED', hostAndOrigin);
        return;
      }
      const queryToken = url.searchParams.get('token');
      const queryName = url.searchParams.get('name') ?? undefined;
      if (queryToken !== null) {
        if (!this.tokenMatches(queryToken)) this.refuse(ws, WebSocketCloseCode.AUTH_FAILED, 'AUTH_FAILED', 'wrong token in the URL');
        else this.admit(ws, queryName);
        return;
      }
      this.awaitAuthMessage(ws, queryName);
    });
  }

  /** The token comes in the first message: a text message `{"token", "name"?}` within the auth timeout. */
  private awaitAuthMessage(ws: WebSocket, queryName: string | undefined): void {
    const timer = setLongTimeout(() => {
      ws.off('message', onFirst);
      this.refuse(ws, WebSocketCloseCode.AUTH_TIMEOUT, 'AUTH_TIMEOUT', 'no auth message in time');
    }, this.options.authTimeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS);
    const onFirst = (data: Buffer, isBinary: boolean): void => {
      timer.clear();
      const auth = isBinary ? undefined : parseAuth(data);
      if (auth === undefined) {
        this.refuse(ws, WebSocketCloseCode.AUTH_FAILED, 'AUTH_FAILED', 'first message is not an auth message');
      } else if (!this.tokenMatches(auth.token)) {
        this.refuse(ws, WebSocketCloseCode.AUTH_FAILED, 'AUTH_FAILED', 'wrong token');
      } else {
        // Synchronously, inside this event: the messages behind the auth message reach the port.
        this.admit(ws, auth.name ?? queryName);
      }
    };
    ws.once('message', onFirst);
    ws.once('close', () => timer.clear());
  }

  /**
   * Counts what arrives before the connection is admitted. ws reads each chunk before this listener
   * (it subscribed first), so an auth message followed at once by frames is admitted before they count.
   */
  private limitUntilAuthenticated(ws: WebSocket, socket: Duplex, alreadyBytes: number): void {
    let bytes = alreadyBytes;
    const onData = (chunk: Buffer): void => {
      if (this.admitted.has(ws)) {
        socket.off('data', onData);
        return;
      }
      bytes += chunk.byteLength;
      if (bytes <= MAX_UNAUTHENTICATED_BYTES) return;
      socket.off('data', onData);
      this.logger.warn(`[ipcio] browser mode dropped a WebSocket: over ${MAX_UNAUTHENTICATED_BYTES} bytes before authentication`);
      ws.terminate();
    };
    socket.on('data', onData);
  }

  private admit(ws: WebSocket, requested: string | undefined): void {
    const name = this.options.peerName ? this.options.peerName(requested) : (requested ?? `page-${++this.pageCount}`);
    if (name === false) {
      this.refuse(ws, WebSocketCloseCode.NAME_REFUSED, 'NAME_REFUSED', `name "${requested}" is not given to pages`);
      return;
    }
    const port = new WebSocketPort(ws, {
      maxFrameSize: this.maxFrameSize,
      maxPendingWriteBytes: this.options.maxPendingWriteBytes ?? this.maxFrameSize + 16 * 1024 * 1024,
    });
    this.admitted.add(ws);
    const policy: PeerPolicy = { kind: 'window', trusted: true, name };
    if (this.options.allow) policy.allow = this.options.allow;
    this.server.accept(port, policy);
  }

  /** Sends the close code, then reads nothing more: the socket ends, and is destroyed if the peer lingers. */
  private refuse(ws: WebSocket, code: number, reason: string, detail: string): void {
    this.logger.warn(`[ipcio] browser mode refused a WebSocket: ${reason} (${logSafe(detail)})`);
    ws.close(code, reason);
    const socket = (ws as unknown as { _socket?: Duplex })._socket;
    socket?.pause();
    socket?.end();
    setTimeout(() => ws.terminate(), REFUSED_CLOSE_GRACE_MS).unref();
  }

  /** Undefined when both are this transport's own (or allowed); else why not. */
  private checkHostAndOrigin(request: IncomingMessage): string | undefined {
    const own = [`${LOOPBACK}:${this.listeningPort}`, `localhost:${this.listeningPort}`];
    const host = request.headers.host;
    if (host === undefined || !own.includes(host)) return `Host "${host ?? ''}" is not this server`;
    const origin = request.headers.origin;
    const allowed = [...own.map((h) => `http://${h}`), ...(this.options.origins ?? [])];
    if (origin === undefined || !allowed.includes(origin)) return `Origin "${origin ?? '(none)'}" is not allowed`;
    return undefined;
  }

  /** Constant time, so the comparison does not leak how much of a guess was right. */
  private tokenMatches(candidate: string): boolean {
    const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
    return timingSafeEqual(digest(candidate), digest(this.token));
  }
}

function parseAuth(data: Buffer): WebSocketAuth | undefined {
  if (data.byteLength > MAX_AUTH_MESSAGE_BYTES) return undefined;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { token, name } = parsed as Partial<WebSocketAuth>;
    if (typeof token !== 'string' || (name !== undefined && typeof name !== 'string')) return undefined;
    return name === undefined ? { token } : { token, name };
  } catch {
    return undefined;
  }
}
