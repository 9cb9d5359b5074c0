// Server child process: node server.mjs <impl> <socketPath>. Counts what it
// receives, answers `echo` and `sync`, and reports its memory and connection
// count when the parent asks over the fork channel.
const [impl, path] = process.argv.slice(2);
const { startServer } = await import(`./impl/${impl}.mjs`);

let count = 0;
let bytes = 0;
const handlers = {
  emit: {
    tick: () => {
      count += 1;
    },
    text: (data) => {
      count += 1;
      bytes += data.length;
    },
    bytes: (data) => {
      count += 1;
      bytes += data.byteLength;
    },
  },
  request: {
    echo: (data) => data,
    // cpuUs lets the client work out the server's CPU time per message.
    sync: () => ({ count, bytes, cpuUs: cpuMicros() }),
  },
};

function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const server = await startServer({ path, handlers });

function memory() {
  for (let i = 0; i < 3; i += 1) globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

process.on('message', async (message) => {
  if (message.type === 'memory') process.send({ type: 'memory', ...memory() });
  else if (message.type === 'connections') process.send({ type: 'connections', count: server.connections() });
  else if (message.type === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send({ type: 'ready' });
