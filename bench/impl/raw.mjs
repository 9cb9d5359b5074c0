// Raw node:net with ipcio's framing and JSON message shapes: the ceiling.
import { createConnection, createServer } from 'node:net';
import { encodeFrame, FrameReader, FrameWriter } from './raw-frames.mjs';

export async function startServer({ path, handlers }) {
  const sockets = new Map();
  const server = createServer((socket) => {
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const writer = new FrameWriter(socket);
    sockets.set(socket, writer);
    const reader = new FrameReader((message, blob) => {
      if (message.kind === 'emit') {
        handlers.emit[message.cmd](blob ?? message.data);
      } else if (message.kind === 'request') {
        const data = handlers.request[message.cmd](message.data);
        // A promise is answered when it settles (the storm's `hang` never does).
        if (typeof data?.then === 'function') data.then((value) => writer.send(encodeFrame({ kind: 'response', id: message.id, data: value })));
        else writer.send(encodeFrame({ kind: 'response', id: message.id, data }));
      }
    });
    socket.on('data', (chunk) => reader.push(chunk));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  return {
    connections: () => sockets.size,
    // The ceiling: one encode, the same bytes queued for every socket.
    broadcast: (cmd, data) => {
      const chunks = encodeFrame({ kind: 'broadcast', cmd, data });
      for (const writer of sockets.values()) writer.send(chunks);
    },
    close: async () => {
      for (const socket of sockets.keys()) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Connects; a full accept queue (EAGAIN on a Unix socket) is retried, as any client must. */
async function open(path) {
  for (let attempt = 0; ; attempt += 1) {
    const socket = createConnection(path);
    try {
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return socket;
    } catch (error) {
      if (error.code !== 'EAGAIN' || attempt >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export async function connect({ path, onBroadcast }) {
  const socket = await open(path);
  socket.on('error', () => undefined);
  const writer = new FrameWriter(socket);
  const pending = new Map();
  let nextId = 1;
  const reader = new FrameReader((message) => {
    if (message.kind === 'broadcast') onBroadcast?.(message.cmd, message.data);
    if (message.kind !== 'response') return;
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    resolve?.(message.data);
  });
  socket.on('data', (chunk) => reader.push(chunk));
  return {
    emit: (cmd, data) => writer.send(encodeFrame({ kind: 'emit', cmd, data })),
    emitBytes: (cmd, bytes) => writer.send(encodeFrame({ kind: 'emit', cmd }, bytes)),
    request: (cmd, data) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        writer.send(encodeFrame({ kind: 'request', id, cmd, data }));
      }),
    close: async () => {
      socket.end();
    },
  };
}
