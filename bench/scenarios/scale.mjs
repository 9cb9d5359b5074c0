// One client process of the scale scenario: connects params.count clients
// (params.concurrency at a time), each listening for the server's `news`
// broadcast, then does what the parent asks:
// - every broadcast: when all its clients have it, reports the first and last
//   receipt (CLOCK_MONOTONIC ns, shared by every process on the machine);
// - `discover`: one client's discover() round trip and the answer's size;
// - `hang`: every client sends `perClient` requests the server never answers,
//   so they are in flight when the parent kills this process (the storm).
export async function run({ connect, path, params, parent }) {
  const receipts = new Map();
  let clients = [];
  const onBroadcast = (_cmd, text) => {
    const now = Number(process.hrtime.bigint());
    const seq = Number.parseInt(text, 10);
    let receipt = receipts.get(seq);
    if (!receipt) {
      receipt = { firstNs: now, lastNs: now, count: 0 };
      receipts.set(seq, receipt);
    }
    receipt.lastNs = now;
    receipt.count += 1;
    if (receipt.count === clients.length) parent.send({ type: 'received', seq, firstNs: receipt.firstNs, lastNs: receipt.lastNs });
  };
  const connected = [];
  for (let next = 0; next < params.count; ) {
    const batch = [];
    for (; next < params.count && batch.length < params.concurrency; next += 1) {
      batch.push(connect({ path, name: `scale-${params.offset + next}`, broadcasts: ['news'], onBroadcast }));
    }
    connected.push(...(await Promise.all(batch)));
  }
  clients = connected;
  parent.send({ type: 'connected', count: clients.length });
  for (;;) {
    const message = await parent.nextOf(['discover', 'hang', 'stop']);
    if (message.type === 'discover') {
      const startNs = process.hrtime.bigint();
      const answer = clients[0].discover ? await clients[0].discover() : undefined;
      const ms = Number(process.hrtime.bigint() - startNs) / 1e6;
      parent.send({ type: 'discover', ms: answer ? ms : null, bytes: answer ? Buffer.byteLength(JSON.stringify(answer)) : null });
    } else if (message.type === 'hang') {
      for (const client of clients) {
        for (let i = 0; i < message.perClient; i += 1) client.request('hang', null).catch(() => undefined);
      }
      parent.send({ type: 'hang', count: clients.length * message.perClient });
    } else {
      await Promise.all(clients.map((client) => client.close()));
      return { count: clients.length };
    }
  }
}
