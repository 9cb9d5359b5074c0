// A second ipcio build in the same run, for A/B comparisons:
//   IPCIO_ALT_ENTRY=file:///path/to/other/dist/node/index.js node bench/run.mjs --impls=raw,ipcio,ipcio-alt
if (!process.env.IPCIO_ALT_ENTRY) throw new Error('ipcio-alt needs IPCIO_ALT_ENTRY (a file: URL of another build)');
process.env.IPCIO_ENTRY = process.env.IPCIO_ALT_ENTRY;
const { startServer, connect } = await import('./ipcio.mjs');
export { connect, startServer };
