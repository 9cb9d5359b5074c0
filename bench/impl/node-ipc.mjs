// node-ipc 9.2.1 (CommonJS, dev dependency only), used as its README shows:
// '\f'-delimited JSON events over a Unix socket. It has no request/response,
// so a request is an event carrying an id and the answer an event back; it
// has no binary values, so bytes travel as a base64 string and are decoded on
// arrival (throughput is counted in payload bytes, not base64 bytes).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const nodeIpc = require('node-ipc');

function instance() {
  const ipc = new nodeIpc.IPC();
  ipc.config.silent = true;
  // The default of 100 would refuse the idle-clients scenario's connections.
  ipc.config.maxConnections = 10_000;
  return ipc;
}

export async function startServer({ path, handlers }) {
  const ipc = instance();
  await new Promise((resolve) => {
    ipc.serve(path, resolve);
    ipc.server.start();
  });
  for (const [cmd, fn] of Object.entries(handlers.emit)) {
    ipc.server.on(cmd, (data) => fn(typeof data?.b64 === 'string' ? Buffer.from(data.b64, 'base64') : data));
  }
  for (const [cmd, fn] of Object.entries(handlers.request)) {
    ipc.server.on(cmd, (message, socket) => {
      const data = fn(message.data);
      // A promise is answered when it settles (the storm's `hang` never does).
      if (typeof data?.then === 'function') data.then((value) => ipc.server.emit(socket, 'response', { id: message.id, data: value }));
      else ipc.server.emit(socket, 'response', { id: message.id, data });
    });
  }
  return {
    connections: () => ipc.server.sockets.length,
    broadcast: (cmd, data) => ipc.server.broadcast(cmd, data),
    close: async () => {
      for (const socket of ipc.server.sockets) socket.destroy();
      ipc.server.stop();
    },
  };
}

export async function connect({ path, name, broadcasts = [], onBroadcast }) {
  const ipc = instance();
  const id = name ?? 'bench';
  await new Promise((resolve) => {
    ipc.connectTo(id, path, () => ipc.of[id].on('connect', resolve));
  });
  const peer = ipc.of[id];
  for (const cmd of broadcasts) peer.on(cmd, (data) => onBroadcast(cmd, data));
  const pending = new Map();
  let nextId = 1;
  peer.on('response', (message) => {
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    resolve?.(message.data);
  });
  return {
    emit: (cmd, data) => peer.emit(cmd, data),
    emitBytes: (cmd, bytes) => peer.emit(cmd, { b64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') }),
    request: (cmd, data) =>
      new Promise((resolve) => {
        const requestId = nextId++;
        pending.set(requestId, resolve);
        peer.emit(cmd, { id: requestId, data });
      }),
    close: async () => {
      ipc.config.stopRetrying = true;
      ipc.disconnect(id);
    },
  };
}
