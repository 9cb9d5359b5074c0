// One-way throughput with bounded memory: send `window` messages, then a `sync`
// request; at most two windows are in flight, so the pipe never runs dry and
// the sender never buffers more than two windows. Every implementation gets the
// same pattern.

export async function pump(client, { total, window, send }) {
  const inFlight = [];
  let sent = 0;
  let last;
  while (sent < total) {
    const end = Math.min(total, sent + window);
    for (; sent < end; sent += 1) send(sent);
    inFlight.push(client.request('sync', null));
    if (inFlight.length > 1) last = await inFlight.shift();
  }
  while (inFlight.length > 0) last = await inFlight.shift();
  return last; // the server's { count, bytes } after the last message
}

export function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Warm up, then time `total` one-way messages; checks that the server got
 * every one. Also returns the CPU time (user + system) each side spent per
 * message, which says where the time goes.
 */
export async function timedPump(client, { warmup, total, window, send }) {
  const before = await pump(client, { total: warmup, window, send });
  const clientCpuBefore = cpuMicros();
  const start = process.hrtime.bigint();
  const after = await pump(client, { total, window, send });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const clientCpuUs = cpuMicros() - clientCpuBefore;
  const received = after.count - before.count;
  if (received !== total) throw new Error(`server received ${received} of ${total} messages`);
  return {
    seconds,
    messages: total,
    bytes: after.bytes - before.bytes,
    clientCpuUsPerMessage: clientCpuUs / total,
    serverCpuUsPerMessage: (after.cpuUs - before.cpuUs) / total,
  };
}
