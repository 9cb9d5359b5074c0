// Streams: small items through a stream next to the same items as emits and
// as raw node:net frames, 1 MiB binary items, and the server's memory while
// one consumer stops reading a routed stream whose producer would yield 1 GiB.
// Only ipcio has streams, so the other implementations skip it.
import { fileURLToPath } from 'node:url';
import { ask, nextMessage, sleep, startChild, stopChild, waitExit } from './children.mjs';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** params: { n, window, blobs, blobWindow, mib, stallWindow, first, stallMs, sampleMs }. */
export async function measureStreams({ params, socketPath, execArgv }) {
  const server = startChild(here('../streams-server.mjs'), [socketPath], ['--expose-gc', ...execArgv('server')]);
  const children = [];
  try {
    await nextMessage(server, 'ready', 30_000);
    const client = startChild(here('../streams-client.mjs'), [socketPath, 'measure', JSON.stringify(params)], execArgv('client'));
    const { result } = await nextMessage(client, 'result', 300_000);
    await waitExit(client);

    // The stalled consumer: a routed stream of 1 MiB items, read `first` items, then not read for stallMs.
    const before = await ask(server, 'memory');
    const producer = startChild(here('../streams-client.mjs'), [socketPath, 'producer', '{}'], execArgv('client'));
    children.push(producer);
    await nextMessage(producer, 'ready', 30_000);
    const stopper = startChild(here('../streams-client.mjs'), [socketPath, 'stopper', JSON.stringify(params)], execArgv('client'));
    children.push(stopper);
    await nextMessage(stopper, 'stopped-reading', 60_000);
    let peakRss = before.rss;
    let peakHeap = before.heapUsed;
    const stallStarted = Date.now();
    while (Date.now() - stallStarted < params.stallMs) {
      await sleep(params.sampleMs);
      const now = await ask(server, 'memory');
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed);
    }
    const { yielded } = await ask(producer, 'yielded');
    return {
      ...result,
      stalledRssGrowthMB: (peakRss - before.rss) / 1e6,
      stalledHeapGrowthMB: (peakHeap - before.heapUsed) / 1e6,
      stalledProducedMiB: yielded,
    };
  } finally {
    await Promise.all(children.map((child) => stopChild(child)));
    await stopChild(server);
  }
}
