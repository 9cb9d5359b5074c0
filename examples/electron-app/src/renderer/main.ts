// examples/electron-app/src/renderer/main.ts
import { bridgeSignal, parseBridgeError, streamFrom } from 'ipcio/renderer';

const { theme } = await window.ipcio.request('settings');
document.body.dataset.theme = theme;

const stopWatching = window.ipcio.on('load', ({ data, from }) => console.log(`${from}: cpu ${data.cpu}`));
window.ipcio.handle('selection', () => Array.from(document.querySelectorAll('.selected'), (element) => element.id));

const controller = new AbortController();
try {
  const digest = await window.ipcio.requestFrom('hasher', 'hash', { path: '/tmp/a.bin' }, {
    timeoutMs: 5000,
    signal: bridgeSignal(controller.signal),
  });
  console.log(digest);
} catch (error) {
  if (parseBridgeError(error)?.code === 'TIMEOUT') console.log('the hasher is slow today');
}
stopWatching();

// A stream across contextBridge: streamFrom turns the page API's pull functions into an AsyncIterable here,
// so `break` and a plain AbortSignal work; errors are IpcErrors with `code` again.
for await (const frame of streamFrom(window.ipcio, 'thumbnailer', 'frames', { path: '/tmp/a.mp4', count: 3 })) {
  console.log(`${frame.byteLength} bytes`);
}
