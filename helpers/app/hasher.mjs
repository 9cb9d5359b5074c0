// The sidecar console's Node helper. Started by main's supervisor, so
// `new IpcClient()` with no options finds the socket, its name and its token
// in IPCIO_SOCKET, IPCIO_NAME and IPCIO_TOKEN. It imports ipcio by package
// name (a self-reference to this repository's built dist/), as an app's own
// helper would.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { IpcClient } from 'ipcio';

const MIB = 1024 * 1024;
/** longHash stands in for slow work (a big file on a slow disk): one MiB per step, with this pause between steps. */
const STEP_PAUSE_MS = 40;
const MAX_LONG_MEGABYTES = 2048;

/** An Error with its own code: it reaches the caller as HANDLER_ERROR with this code as remoteCode. */
function codedError(code, message) {
  return Object.assign(new Error(message), { code });
}

function result(hash, bytes, source) {
  return { algorithm: 'sha256', hex: hash.digest('hex'), bytes, source };
}

async function hashFile({ data, signal }) {
  const path = typeof data?.path === 'string' ? data.path : '';
  if (path === '') throw codedError('E_BAD_INPUT', 'hashFile needs { path }');
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if (error.code === 'ENOENT') throw codedError('E_NOT_FOUND', `no such file: ${path}`);
    throw codedError('E_UNREADABLE', `cannot read ${path}: ${error.message}`);
  }
  if (!info.isFile()) throw codedError('E_NOT_A_FILE', `not a regular file: ${path}`);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { signal })) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return result(hash, bytes, path);
}

/**
 * Hashes `megabytes` MiB of generated data (MiB i filled with byte i % 256,
 * so anyone can check the digest), telling the requester how far it got
 * after each MiB. It stops at the next step once the request's AbortSignal
 * fires (the page pressed Cancel, the request timed out, the page went away).
 */
async function longHash({ data, client_name: requester, signal }) {
  const total = Number(data?.megabytes);
  const job = String(data?.job ?? '');
  if (!Number.isInteger(total) || total < 1 || total > MAX_LONG_MEGABYTES) {
    throw codedError('E_BAD_INPUT', `megabytes must be a whole number from 1 to ${MAX_LONG_MEGABYTES}`);
  }
  const hash = createHash('sha256');
  const block = Buffer.alloc(MIB);
  for (let done = 0; done < total; done += 1) {
    if (signal.aborted) {
      client.emitTo(requester, 'progress', { job, done, total, state: 'cancelled' });
      throw signal.reason;
    }
    hash.update(block.fill(done % 256));
    client.emitTo(requester, 'progress', { job, done: done + 1, total, state: done + 1 === total ? 'done' : 'working' });
    await sleep(STEP_PAUSE_MS);
  }
  return result(hash, total * MIB, `${total} MiB of generated data`);
}

const client = new IpcClient({}, {
  hashText: ({ data }) => {
    if (typeof data?.text !== 'string') throw codedError('E_BAD_INPUT', 'hashText needs { text }');
    const bytes = Buffer.byteLength(data.text);
    return result(createHash('sha256').update(data.text), bytes, 'text');
  },
  hashFile,
  longHash,
});
client.on('error', (error) => console.error(`${error.code}: ${error.message}`));
client.connect();
client.ready.then(() => console.log(`connected as ${client.name}`));

function shutDown() {
  void client.close().then(() => process.exit(0));
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
// If main dies without stopping us (SIGKILL), we are re-parented: leave rather than linger.
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) shutDown();
}, 1000).unref();
