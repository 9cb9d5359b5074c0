import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { IpcError } from '../../lib/common/errors.js';
import { MessagePortPort } from '../../lib/common/message-port-port.js';
import type { Message } from '../../lib/common/messages.js';
import type { PortReceiver } from '../../lib/common/port.js';
import { until } from '../support/temp-socket.js';

function recorder(): PortReceiver & { messages: Message[]; closes: (IpcError | undefined)[] } {
  const messages: Message[] = [];
  const closes: (IpcError | undefined)[] = [];
  return { messages, closes, onMessage: (m) => messages.push(m), onClose: (reason) => closes.push(reason) };
}

describe('MessagePortPort over a real worker_threads MessageChannel (standing in for MessageChannelMain)', () => {
  it('carries messages both ways as plain objects, bytes included, without framing', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new MessagePortPort(port1);
    const b = new MessagePortPort(port2);
    const atA = recorder();
    const atB = recorder();
    a.attach(atA);
    b.attach(atB);
    const bytes = new Uint8Array([0, 0x7d, 0x7b, 10, 255]);
    a.send({ kind: 'emit', cmd: 'save', data: { name: 'a.png', bytes, text: '}{\f\n' } });
    b.send({ kind: 'request', id: 1, cmd: 'hash', data: 'x' });
    await until(() => atA.messages.length === 1 && atB.messages.length === 1);
    expect(atB.messages[0]).toEqual({ kind: 'emit', cmd: 'save', data: { name: 'a.png', bytes, text: '}{\f\n' } });
    expect((atB.messages[0] as { data: { bytes: unknown } }).data.bytes).toBeInstanceOf(Uint8Array);
    expect(atA.messages[0]).toEqual({ kind: 'request', id: 1, cmd: 'hash', data: 'x' });
    a.close();
    await until(() => atB.closes.length === 1);
  });

  it('holds messages that arrive before attach until then', async () => {
    const { port1, port2 } = new MessageChannel();
    // Queued on port1 at once: a port that nobody has started holds what arrives (no wait can add to that).
    port2.postMessage({ kind: 'cancel', id: 4 });
    const a = new MessagePortPort(port1);
    const atA = recorder();
    a.attach(atA);
    await until(() => atA.messages.length === 1);
    expect(atA.messages[0]).toEqual({ kind: 'cancel', id: 4 });
    a.close();
  });

  it('closes with BAD_MESSAGE on a message that is not one, telling the far side why', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new MessagePortPort(port1);
    const atA = recorder();
    a.attach(atA);
    const told: unknown[] = [];
    port2.on('message', (m) => told.push(m));
    port2.postMessage({ kind: 'request', id: -1, cmd: 'x' });
    await until(() => atA.closes.length === 1);
    expect(atA.closes[0]?.code).toBe('BAD_MESSAGE');
    await until(() => told.length === 1);
    expect(told[0]).toMatchObject({ kind: 'error', fatal: true, error: { code: 'BAD_MESSAGE' } });
    port2.close();
  });

  it('reports a close from either side once, and leaves no listener on the port', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new MessagePortPort(port1);
    const atA = recorder();
    a.attach(atA);
    expect(port1.listenerCount('message')).toBe(1);
    expect(port1.listenerCount('close')).toBe(1);
    port2.close();
    await until(() => atA.closes.length === 1);
    a.close();
    // No listener is left on the port, so nothing can report a second close later.
    expect(port1.listenerCount('message')).toBe(0);
    expect(port1.listenerCount('close')).toBe(0);
    expect(atA.closes).toEqual([undefined]);
    expect(() => a.send({ kind: 'cancel', id: 1 })).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('refuses a payload structured clone cannot carry, and keeps the port', async () => {
    const { port1, port2 } = new MessageChannel();
    const a = new MessagePortPort(port1);
    a.attach(recorder());
    expect(() => a.send({ kind: 'emit', cmd: 'x', data: { f: () => 1 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => a.send({ kind: 'emit', cmd: 'x', data: 1 })).not.toThrow();
    a.close();
    port2.close();
  });

  it('works with an on()-style port whose events are { data } (the shape of MessagePortMain and ParentPort)', async () => {
    const { port1, port2 } = new MessageChannel();
    const listeners = new Map<string, (event: unknown) => void>();
    // MessagePortMain has no addEventListener and emits { data, ports }; wrap a real port to look like one.
    const mainStyle = {
      postMessage: (m: unknown) => port1.postMessage(m),
      start: () => port1.start(),
      close: () => port1.close(),
      on: (event: 'message' | 'close', listener: (event: unknown) => void) => {
        listeners.set(event, listener);
        if (event === 'message') port1.on('message', (data) => listener({ data, ports: [] }));
        else port1.on('close', () => listener(undefined));
      },
      off: (event: 'message' | 'close') => listeners.delete(event),
    };
    const a = new MessagePortPort(mainStyle);
    const atA = recorder();
    a.attach(atA);
    port2.postMessage({ kind: 'emit', cmd: 'hi', data: 1 });
    await until(() => atA.messages.length === 1);
    expect(atA.messages[0]).toEqual({ kind: 'emit', cmd: 'hi', data: 1 });
    a.close();
    expect(listeners.size).toBe(0);
    expect(atA.closes).toEqual([undefined]);
  });
});
