// ipcio itself, from the build output.
// IPCIO_ENTRY points at another build (an A/B experiment); default: this repository's dist/.
const { IpcClient, IpcServer } = await import(process.env.IPCIO_ENTRY ?? '../../dist/node/index.js');

const quiet = { debug() {}, info() {}, warn() {}, error: (...args) => console.error(...args) };

export async function startServer({ path, handlers }) {
  const collection = {};
  for (const [cmd, fn] of Object.entries(handlers.emit)) {
    collection[cmd] = ({ data }) => {
      fn(data);
    };
  }
  for (const [cmd, fn] of Object.entries(handlers.request)) collection[cmd] = ({ data }) => fn(data);
  const server = new IpcServer({ socketPath: path, logger: quiet }, collection).start();
  await server.ready;
  return {
    connections: () => server.clients().length,
    broadcast: (cmd, data) => server.broadcast(cmd, data),
    discover: () => server.discover(),
    close: () => server.close(),
  };
}

/** onBroadcast(cmd, data) hears the server's broadcasts of the commands listed in `broadcasts`. */
export async function connect({ path, name, broadcasts = [], onBroadcast }) {
  const client = new IpcClient({ socketPath: path, name, logger: quiet });
  for (const cmd of broadcasts) client.addHandlers({ [cmd]: ({ data }) => onBroadcast(cmd, data) });
  client.connect();
  await client.ready;
  return {
    discover: () => client.discover(),
    emit: (cmd, data) => client.emit(cmd, data),
    emitBytes: (cmd, bytes) => client.emit(cmd, bytes),
    request: (cmd, data) => client.request(cmd, data),
    close: () => client.close(),
  };
}
