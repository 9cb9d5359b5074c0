import { fileURLToPath } from 'node:url';
import { Worker, type Transferable } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ForkOptions } from 'electron';
import { bridgeUtility, type UtilityDeps } from '../../lib/electron-main/utility-bridge.js';
import { IpcServer } from '../../lib/node/server.js';
import { PeerProcess } from '../support/peer-process.js';
import { tempSocket, until } from '../support/temp-socket.js';
import { recordingChannelFactory } from './support/fake-web-contents.js';
import { quiet } from '../support/deferred.js';

const UTILITY = fileURLToPath(new URL('./fixtures/utility-worker.mjs', import.meta.url));

/** utilityProcess.fork stood in for by a worker thread: same postMessage(message, [ports]) in, same { data, ports } out. */
function fakeUtilityProcess(forked: Worker[], forkCalls: { modulePath: string; args: string[]; options: ForkOptions }[]): UtilityDeps['fork'] {
  return (modulePath, args, options) => {
    forkCalls.push({ modulePath, args, options });
    const worker = new Worker(modulePath);
    forked.push(worker);
    const child = {
      pid: worker.threadId,
      postMessage: (data: unknown, transfer: unknown[] = []) =>
        worker.postMessage({ type: 'parent-port', data, ports: transfer }, transfer as Transferable[]),
      once: (event: string, listener: () => void) => {
        worker.once(event, listener);
        return child;
      },
      kill: () => {
        void worker.terminate();
        return true;
      },
    };
    return child as unknown as ReturnType<UtilityDeps['fork']>;
  };
}

function call(worker: Worker, op: string, ...args: unknown[]): Promise<unknown> {
  const id = Math.random();
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type: string; id: number; value?: unknown; error?: unknown }): void => {
      if (message.type !== 'result' || message.id !== id) return;
      worker.off('message', onMessage);
      if (message.error) reject(message.error);
      else resolve(message.value);
    };
    worker.on('message', onMessage);
    worker.postMessage({ type: 'call', id, op, args });
  });
}

describe('forkUtility with a worker thread standing in for utilityProcess (no Electron binary here) and worker_threads MessageChannel ports', () => {
  let socket: ReturnType<typeof tempSocket>;
  let server: IpcServer;
  let helper: PeerProcess;
  const forked: Worker[] = [];

  beforeEach(async () => {
    socket = tempSocket();
    server = new IpcServer({ socketPath: socket.socketPath, name: 'main', logger: quiet }).start();
    await server.ready;
    helper = PeerProcess.start({ role: 'client', socketPath: socket.socketPath, name: 'hasher' });
    await helper.call('ready');
  });

  afterEach(async () => {
    await Promise.all(forked.splice(0).map((worker) => worker.terminate()));
    await helper.stop();
    await server.close();
    socket.cleanup();
  });

  it('joins under the name main gave it, with the client API a Node helper has, both ways', async () => {
    const forkCalls: { modulePath: string; args: string[]; options: ForkOptions }[] = [];
    const utility = bridgeUtility(
      server,
      UTILITY,
      { name: 'thumbnailer', allow: { clients: { hasher: ['double', 'count'] } }, args: ['--fast'], fork: { serviceName: 'Thumbnailer' } },
      { fork: fakeUtilityProcess(forked, forkCalls), createChannel: recordingChannelFactory().create },
    );
    expect(forkCalls).toEqual([{ modulePath: UTILITY, args: ['--fast'], options: { serviceName: 'Thumbnailer' } }]);
    const worker = forked[0] as Worker;
    expect(await call(worker, 'ready')).toBe('thumbnailer');
    expect(await helper.call('requestFrom', 'thumbnailer', 'measure', 'abcd')).toEqual({ length: 4, from: 'hasher' });
    expect(await call(worker, 'requestFrom', 'hasher', 'double', 5)).toBe(10);
    await expect(call(worker, 'requestFrom', 'hasher', 'echo', 5)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    // Streams both ways, and the allow list covers them as it covers requests.
    expect(await helper.call('streamCollect', 'thumbnailer', 'spell', 'abc')).toEqual(['a', 'b', 'c']);
    expect(await call(worker, 'streamFrom', 'hasher', 'count', { n: 3 })).toEqual([0, 1, 2]);
    await expect(call(worker, 'streamFrom', 'hasher', 'boom')).rejects.toMatchObject({ code: 'FORBIDDEN' });

    utility.kill();
    await until(() => !server.clients().includes('thumbnailer'), 5000, 'the name to be freed');
    await expect(helper.call('requestFrom', 'thumbnailer', 'measure', 'x')).rejects.toMatchObject({ code: 'NO_SUCH_CLIENT' });
  });
});
