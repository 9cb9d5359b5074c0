// Child processes of the benchmark: started with fork, talked to over the fork
// channel, and never left behind (every live child is killed when the runner exits).
import { execFileSync, fork } from 'node:child_process';

const live = new Set();

/** Starts a Node child; `cpu` pins all its threads to that CPU (taskset), else the scheduler places it. */
export function startChild(file, args, execArgv = [], cpu = undefined) {
  const child = fork(file, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  if (cpu !== undefined) execFileSync('taskset', ['-a', '-cp', String(cpu), String(child.pid)], { stdio: 'ignore' });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function killAll() {
  for (const child of live) child.kill('SIGKILL');
}

/** The next message of `type` from the child; rejects on a 'failed' message, on exit, or after timeoutMs. */
export function nextMessage(child, type, timeoutMs = 120_000) {
  return new Promise((resolve, reject) => {
    const done = (settle, value) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle(value);
    };
    const onMessage = (message) => {
      if (message.type === 'failed') done(reject, new Error(message.error));
      else if (message.type === type) done(resolve, message);
    };
    // A message sent just before exiting may still be in the channel: give it a moment.
    const onExit = (code, signal) => {
      setTimeout(() => done(reject, new Error(`child exited (${code ?? signal}) before sending "${type}"`)), 200);
    };
    const timer = setTimeout(() => done(reject, new Error(`no "${type}" from the child within ${timeoutMs} ms`)), timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Sends { type, ...fields } and waits for the reply of the same type. */
export function ask(child, type, timeoutMs, fields = {}) {
  const reply = nextMessage(child, type, timeoutMs);
  child.send({ type, ...fields });
  return reply;
}

/** Waits for the child to exit; SIGKILL after timeoutMs. */
export function waitExit(child, timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Asks the child to stop (it closes its server or clients), then waits for it to exit. */
export function stopChild(child, timeoutMs) {
  if (child.connected) child.send({ type: 'stop' });
  return waitExit(child, timeoutMs);
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
