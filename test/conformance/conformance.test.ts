import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { sleep } from '../support/temp-socket.js';
import { DriverSession } from './driver-session.js';
import { drivers } from './drivers.js';
import { mismatch } from './match.js';
import { ScenarioServer, type Reply, type ServerSettings } from './scenario-server.js';
import { expandRepeats } from './tags.js';

interface Step {
  actor?: string;
  op: string;
  expect?: unknown;
  /** Repeat the op until the expectation holds (for messages that arrive asynchronously). */
  eventually?: boolean;
  /** Start the op and go on; a later `await` step with this label checks its reply. */
  background?: string;
  ms?: number;
  [arg: string]: unknown;
}
interface Scenario {
  id: string;
  title: string;
  server?: ServerSettings;
  steps: Step[];
}

const { scenarios } = JSON.parse(readFileSync(fileURLToPath(new URL('scenarios.json', import.meta.url)), 'utf8')) as { scenarios: Scenario[] };
const EVENTUALLY_MS = 5_000;

/** Every scenario of scenarios.json against every client whose driver can run here. */
for (const driver of drivers()) {
  describe(`conformance: ${driver.name} client`, () => {
    // Skipped, never silently: the reason is printed and is part of each test's name.
    if (driver.unavailable) console.warn(`[conformance] skipping the ${driver.name} driver (${scenarios.length} scenarios): ${driver.unavailable}`);
    const suffix = driver.unavailable ? ` [skipped: ${driver.unavailable}]` : '';
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    for (const scenario of scenarios) {
      it.skipIf(driver.unavailable !== undefined)(`${scenario.id}: ${scenario.title}${suffix}`, async () => {
        const server = await ScenarioServer.start(scenario.server);
        const actors = new Map<string, DriverSession>();
        cleanup = async () => {
          await Promise.all([...actors.values()].map((session) => session.close()));
          await server.close();
        };
        const run: Run = { server, actors, command: driver.command, background: new Map() };
        for (const [index, step] of scenario.steps.entries()) {
          const failure = await runStep(step, run);
          if (failure) {
            const stderr = step.actor ? actors.get(step.actor)?.stderr.trim().slice(-2000) : undefined;
            expect.fail(`${driver.name} / ${scenario.id}, step ${index + 1} ${JSON.stringify(step).slice(0, 400)}\n  ${failure}${stderr ? `\n  driver stderr:\n${stderr}` : ''}`);
          }
        }
      });
    }
  });
}

/** What the steps of one scenario share. */
interface Run {
  server: ScenarioServer;
  actors: Map<string, DriverSession>;
  command: string[];
  /** Ops started with `"background": label`, awaited later by `{"op": "await", "label": ...}`. */
  background: Map<string, Promise<Reply>>;
}

/** Runs one step (retrying while `eventually`); resolves with a description of the mismatch, if any. */
async function runStep(step: Step, run: Run): Promise<string | undefined> {
  const { actor, op, expect: expected = { ok: true }, eventually, background, ...rest } = step;
  if (op === 'wait') {
    await sleep(step.ms ?? 0);
    return undefined;
  }
  if (op === 'await') {
    const pending = run.background.get(String(step.label));
    if (!pending) return `no background step labelled "${String(step.label)}"`;
    return pending.then((reply) => compare(expected, reply), (error: Error) => error.message);
  }
  if (!actor) return 'step has no actor';
  if (op === 'kill') {
    // A crash, not a close: the client gets no chance to say goodbye.
    run.actors.get(actor)?.kill();
    return undefined;
  }
  const args = expandRepeats(rest) as Record<string, unknown>;
  if (typeof background === 'string') {
    const pending = perform(run, actor, op, args);
    pending.catch(() => undefined); // a killed actor's op may never be awaited
    run.background.set(background, pending);
    return undefined;
  }
  const deadline = Date.now() + (eventually ? EVENTUALLY_MS : 0);
  for (;;) {
    let reply: Reply;
    try {
      reply = await perform(run, actor, op, args);
    } catch (error) {
      return (error as Error).message; // no reply at all: the caller adds the driver's stderr
    }
    const difference = compare(expected, reply);
    if (!difference || Date.now() > deadline) return difference;
    await sleep(50);
  }
}

/** Sends an op to the server or to an actor's driver, starting the driver at its first op. */
function perform(run: Run, actor: string, op: string, args: Record<string, unknown>): Promise<Reply> {
  if (actor === 'server') return run.server.run(op, args);
  let session = run.actors.get(actor);
  if (!session) {
    session = new DriverSession(run.command, driverEnv());
    run.actors.set(actor, session);
  }
  return session.send(op === 'connect' ? { op, socket: run.server.socketPath, ...args } : { op, ...args });
}

function compare(expected: unknown, reply: Reply): string | undefined {
  const difference = mismatch(expandRepeats(expected), reply);
  return difference && `${difference}\n  reply: ${JSON.stringify(reply).slice(0, 600)}`;
}

/** The runner's environment without IPCIO_*: a driver must use what the ops say, not what the shell had. */
function driverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of ['IPCIO_SOCKET', 'IPCIO_TOKEN', 'IPCIO_NAME']) delete env[key];
  return env;
}
