// Idle clients: connect params.count clients (params.concurrency at a time),
// tell the parent, and hold them until the parent says stop.
export async function run({ connect, path, params, parent }) {
  const clients = [];
  for (let next = 0; next < params.count; ) {
    const batch = [];
    for (; next < params.count && batch.length < params.concurrency; next += 1) {
      batch.push(connect({ path, name: `idle-${params.offset + next}` }));
    }
    clients.push(...(await Promise.all(batch)));
  }
  parent.send({ type: 'connected', count: clients.length });
  await parent.next('stop');
  await Promise.all(clients.map((client) => client.close()));
  return { count: clients.length };
}
