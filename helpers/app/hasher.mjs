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
 * A stream: hashes `megabytes` MiB of generated data (MiB i filled with byte
 * i % 256, so anyone can check the digest) and yields `{ done, total }` after
 * each MiB, the last step with the result. The window's credit paces it: a
 * window that stops reading stops the hashing a few steps later. Cancelled
 * (the page broke out of its loop, pressed Cancel, went away), the generator
 * is closed at its next step and tells the requester where it stopped.
 */
async function* longHash({ data, client_name: requester, signal }) {
  const total = Number(data?.megabytes);
  const job = String(data?.job ?? '');
  if (!Number.isInteger(total) || total < 1 || total > MAX_LONG_MEGABYTES) {
    throw codedError('E_BAD_INPUT', `megabytes must be a whole number from 1 to ${MAX_LONG_MEGABYTES}`);
  }
  const hash = createHash('sha256');
  const block = Buffer.alloc(MIB);
  let hashed = 0;
  try {
    while (hashed < total) {
      hash.update(block.fill(hashed % 256));
      hashed += 1;
      if (hashed === total) yield { done: hashed, total, result: result(hash, total * MIB, `${total} MiB of generated data`) };
      else yield { done: hashed, total };
      await sleep(STEP_PAUSE_MS);
    }
  } finally {
    // The stream is over for the page; its last word comes as an emit: the hasher's own count.
    if (signal.aborted) client.emitTo(requester, 'progress', { job, done: hashed, total, state: 'cancelled' });
  }
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
