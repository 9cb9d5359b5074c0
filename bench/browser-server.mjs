// Browser mode's server process: node browser-server.mjs <socketPath>. One
// ipcio server answering `echo` both on a Unix socket (for the socket client)
// and over browser mode's WebSocket transport (for the page). The same HTTP
// port serves the page and the library's browser build (dist/, plus uuid, the
// one bare import, mapped by the page's import map). The page is
// cross-origin isolated so that performance.now() has 5 µs resolution, not 100.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const [path] = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));
const entry = process.env.IPCIO_ENTRY ?? '../dist/node/index.js';
const { IpcServer } = await import(entry);
const { WebSocketTransport } = await import(new URL('websocket-transport.js', new URL(entry, import.meta.url)).href);

const ISOLATED = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const PAGE = `<!doctype html><meta charset="utf-8"><title>ipcio bench</title>
<script type="importmap">{ "imports": { "uuid": "/node_modules/uuid/dist/index.js" } }</script>
<script type="module">
  import { connectIpcio } from '/dist/browser/connect.js';
  window.measure = async ({ url, token, warmup, requests }) => {
    const ipcio = connectIpcio({ url, token, name: 'bench-page' });
    const payload = 'x'.repeat(64);
    for (let i = 0; i < warmup; i += 1) await ipcio.request('echo', payload);
    const samples = new Array(requests);
    const started = performance.now();
    for (let i = 0; i < requests; i += 1) {
      const start = performance.now();
      const answer = await ipcio.request('echo', payload);
      samples[i] = (performance.now() - start) * 1000;
      if (answer !== payload) throw new Error('echo returned something else');
    }
    const meanUs = ((performance.now() - started) * 1000) / requests;
    return { samples, meanUs, isolated: crossOriginIsolated };
  };
  window.pageReady = true;
</script>`;

/** Serves the page, and files under dist/ and uuid's browser build; nothing else. */
async function serve(request, response) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/') return response.writeHead(200, { 'Content-Type': 'text/html', ...ISOLATED }).end(PAGE);
  if (!/^\/(dist|node_modules\/uuid\/dist)\/[\w/.-]+\.js$/.test(url.pathname) || url.pathname.includes('..')) return response.writeHead(404).end();
  try {
    const body = await readFile(root + url.pathname.slice(1));
    response.writeHead(200, { 'Content-Type': 'text/javascript', ...ISOLATED, 'Cross-Origin-Resource-Policy': 'same-origin' }).end(body);
  } catch {
    response.writeHead(404).end();
  }
}

const quiet = { debug() {}, info() {}, warn() {}, error: (...args) => console.error(...args) };
const server = new IpcServer({ socketPath: path, logger: quiet }, { echo: ({ data }) => data, sync: () => ({ count: 0, bytes: 0, cpuUs: 0 }) }).start();
await server.ready;
const transport = await WebSocketTransport.listen(server, { requestListener: (request, response) => void serve(request, response), logger: quiet });

process.on('message', async (message) => {
  if (message.type === 'stop') {
    await transport.close();
    await server.close();
    process.exit(0);
  }
});
process.send({ type: 'ready', origin: transport.origin, url: transport.url, token: transport.token });
