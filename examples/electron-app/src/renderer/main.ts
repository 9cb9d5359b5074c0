// examples/electron-app/src/renderer/main.ts
import { bridgeSignal, parseBridgeError } from 'ipcio/renderer';

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
