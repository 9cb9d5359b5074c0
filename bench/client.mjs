// Client child process: node client.mjs <impl> <socketPath> <scenario> <params JSON>.
// Runs one scenario and sends its result to the parent over the fork channel.
const [impl, path, scenario, params] = process.argv.slice(2);
const { connect } = await import(`./impl/${impl}.mjs`);
const { run } = await import(`./scenarios/${scenario}.mjs`);

const parent = {
  send: (message) => process.send(message),
  /** Resolves with the next message of this type from the parent. */
  next: (type) =>
    new Promise((resolve) => {
      const listener = (message) => {
        if (message.type !== type) return;
        process.off('message', listener);
        resolve(message);
      };
      process.on('message', listener);
    }),
  /** Resolves with the next message of any of these types. */
  nextOf: (types) =>
    new Promise((resolve) => {
      const listener = (message) => {
        if (!types.includes(message.type)) return;
        process.off('message', listener);
        resolve(message);
      };
      process.on('message', listener);
    }),
};

try {
  const result = await run({ connect, path, params: JSON.parse(params), parent });
  process.send({ type: 'result', result }, () => process.exit(0));
} catch (error) {
  process.send({ type: 'failed', error: String(error?.stack ?? error) }, () => process.exit(1));
}
