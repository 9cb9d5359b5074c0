// Turns per-round results into the tables and target verdicts the runner prints.
import { formatNumber, formatRatio, median } from './stats.mjs';

/** Each scenario's numbers, as metric key -> value. */
export const METRICS = [
  { key: 'latencyMedianUs', scenario: 'latency', label: 'round-trip latency, 64 B request, median (µs)', lowerIsBetter: true },
  { key: 'latencyP99Us', scenario: 'latency', label: 'round-trip latency, 64 B request, p99 (µs)', lowerIsBetter: true },
  { key: 'msgsPerSecond', scenario: 'small', label: 'small one-way messages (msgs/s)' },
  { key: 'burstMsgsPerSecond', scenario: 'burst', label: 'burst: 100,000 small emits at once, until the server has all (msgs/s)' },
  { key: 'jsonMBps', scenario: 'json-1mib', label: '1 MiB JSON string, one-way (MB/s)' },
  { key: 'binaryMBps', scenario: 'binary-1mib', label: '1 MiB binary, one-way (MB/s) [node-ipc: base64]' },
  { key: 'idleRssMB', scenario: 'idle', label: '1,000 idle clients: server RSS delta (MB)', lowerIsBetter: true },
  { key: 'idleHeapMB', scenario: 'idle', label: '1,000 idle clients: server heapUsed delta (MB)', lowerIsBetter: true },
  { key: 'scaleFirstMs', scenario: 'scale', label: 'N clients: broadcast 100 B, first receipt (ms)', lowerIsBetter: true },
  { key: 'scaleLastMs', scenario: 'scale', label: 'N clients: broadcast 100 B, last receipt (ms)', lowerIsBetter: true },
  { key: 'scaleBlockedMs', scenario: 'scale', label: 'N clients: server loop blocked by one broadcast (ms)', lowerIsBetter: true },
  { key: 'scaleLoopDelayMs', scenario: 'scale', label: 'N clients: longest event-loop delay around one broadcast (monitorEventLoopDelay, ms)', lowerIsBetter: true },
  { key: 'scaleHeapKB', scenario: 'scale', label: 'N clients: server heapUsed per idle client (KB)', lowerIsBetter: true },
  { key: 'scaleRssKB', scenario: 'scale', label: 'N clients: server RSS per idle client (KB)', lowerIsBetter: true },
  { key: 'stormMs', scenario: 'scale', label: 'N clients, 4 requests in flight each, all killed: until the server has none (ms)', lowerIsBetter: true },
  { key: 'stormCpuMs', scenario: 'scale', label: 'that disconnect storm: server CPU (ms)', lowerIsBetter: true },
  { key: 'stormFewerCpuMs', scenario: 'scale', label: 'the same storm with N/10 clients: server CPU (ms)', lowerIsBetter: true },
  { key: 'stormCpuPerClientRatio', scenario: 'scale', label: 'storm linearity: server CPU per client at N / at N/10 (1.0 = linear)', lowerIsBetter: true },
  { key: 'stormTimePerClientRatio', scenario: 'scale', label: 'storm linearity: time per client at N / at N/10', lowerIsBetter: true },
  { key: 'discoverMs', scenario: 'scale', label: 'N clients: server discover() call (ms)', lowerIsBetter: true },
  { key: 'discoverRoundTripMs', scenario: 'scale', label: 'N clients: a client\'s discover() round trip (ms)', lowerIsBetter: true },
  { key: 'discoverKB', scenario: 'scale', label: 'N clients: discover() answer, JSON (KB)', lowerIsBetter: true },
  { key: 'browserMedianUs', scenario: 'browser', label: 'browser mode: page request round trip over WebSocket, median (µs)', lowerIsBetter: true },
  { key: 'browserP99Us', scenario: 'browser', label: 'browser mode: page request round trip, p99 (µs)', lowerIsBetter: true },
  { key: 'browserSocketMedianUs', scenario: 'browser', label: 'browser mode: socket client round trip, same server, median (µs)', lowerIsBetter: true },
  { key: 'browserPageToSocket', scenario: 'browser', label: 'browser mode: page / socket client round trip', lowerIsBetter: true },
  { key: 'streamItemsPerSecond', scenario: 'streams', label: 'streams: 64 B items server → client through a stream, window 1024 (items/s)' },
  { key: 'emitItemsPerSecond', scenario: 'streams', label: 'streams: the same items as server → client emits (items/s)' },
  { key: 'rawItemsPerSecond', scenario: 'streams', label: 'streams: the same items as raw node:net frames (items/s)' },
  { key: 'streamBinaryMBps', scenario: 'streams', label: 'streams: 1 MiB binary items through a stream, window 16 (MB/s)' },
  { key: 'stalledRssGrowthMB', scenario: 'streams', label: 'streams: server RSS growth, routed 1 GiB producer, window 16, consumer stopped 10 s (MB)', lowerIsBetter: true },
  { key: 'stalledHeapGrowthMB', scenario: 'streams', label: 'streams: server heapUsed growth in that stall (MB)', lowerIsBetter: true },
  { key: 'stalledProducedMiB', scenario: 'streams', label: 'streams: MiB the producer yielded in that stall (of 1024)', lowerIsBetter: true },
  // Diagnostics: CPU time (user + system) per message on each side, to see where the time goes.
  { key: 'latencyClientCpuUs', scenario: 'latency', label: 'latency: client CPU per request (µs)', cpu: true },
  { key: 'latencyServerCpuUs', scenario: 'latency', label: 'latency: server CPU per request (µs)', cpu: true },
  { key: 'smallClientCpuUs', scenario: 'small', label: 'small: client CPU per message (µs)', cpu: true },
  { key: 'smallServerCpuUs', scenario: 'small', label: 'small: server CPU per message (µs)', cpu: true },
  { key: 'burstClientCpuUs', scenario: 'burst', label: 'burst: client CPU per message (µs)', cpu: true },
  { key: 'burstServerCpuUs', scenario: 'burst', label: 'burst: server CPU per message (µs)', cpu: true },
  { key: 'jsonClientCpuUs', scenario: 'json-1mib', label: '1 MiB JSON: client CPU per message (µs)', cpu: true },
  { key: 'jsonServerCpuUs', scenario: 'json-1mib', label: '1 MiB JSON: server CPU per message (µs)', cpu: true },
  { key: 'binaryClientCpuUs', scenario: 'binary-1mib', label: '1 MiB binary: client CPU per message (µs)', cpu: true },
  { key: 'binaryServerCpuUs', scenario: 'binary-1mib', label: '1 MiB binary: server CPU per message (µs)', cpu: true },
];

/** Issue 12's aims for ipcio, checked against the medians (m: ipcio's median and ratio to raw; row: every implementation). */
export const TARGETS = [
  { key: 'latencyMedianUs', text: '64 B request round trip within 1.1x of raw', vsRaw: true, met: (m) => m.ratio <= 1.1, show: (m) => `${formatRatio(m.ratio)} (${formatNumber(m.value)} µs)` },
  { key: 'msgsPerSecond', text: 'small one-way messages >= 0.9x raw', vsRaw: true, met: (m) => m.ratio >= 0.9, show: (m) => `${formatRatio(m.ratio)} (${formatNumber(m.value)} msgs/s)` },
  { key: 'burstMsgsPerSecond', text: 'burst of 100,000 emits >= 0.9x raw', vsRaw: true, met: (m) => m.ratio >= 0.9, show: (m) => `${formatRatio(m.ratio)} (${formatNumber(m.value)} msgs/s)` },
  { key: 'jsonMBps', text: '1 MiB JSON >= 1.0x raw', vsRaw: true, met: (m) => m.ratio >= 1.0, show: (m) => `${formatRatio(m.ratio)} (${formatNumber(m.value)} MB/s)` },
  { key: 'binaryMBps', text: '1 MiB binary >= 2 GB/s (2000 MB/s)', met: (m) => m.value >= 2000, show: (m) => `${formatNumber(m.value)} MB/s` },
  { key: 'idleRssMB', text: '1,000 idle clients add < 50 MB', met: (m) => m.value < 50, show: (m) => `${formatNumber(m.value)} MB RSS` },
  { key: 'scaleFirstMs', text: 'broadcast to N clients: first receipt < 5 ms', met: (m) => m.value < 5, show: (m) => `${formatNumber(m.value)} ms` },
  { key: 'scaleLastMs', text: 'broadcast to N clients: last receipt < 100 ms', met: (m) => m.value < 100, show: (m) => `${formatNumber(m.value)} ms` },
  { key: 'scaleBlockedMs', text: 'server blocked < 20 ms by one broadcast', met: (m) => m.value < 20, show: (m) => `${formatNumber(m.value)} ms` },
  { key: 'stormCpuPerClientRatio', text: 'disconnect storm linear in N (CPU per client at N within 1.5x of N/10)', met: (m) => m.value <= 1.5, show: (m) => `${formatRatio(m.value)}` },
  {
    key: 'scaleHeapKB',
    text: "heap per idle client no larger than node-ipc's",
    met: (m, row) => row.byImpl['node-ipc']?.value != null && m.value <= row.byImpl['node-ipc'].value,
    needs: (row) => row.byImpl['node-ipc']?.value != null,
    show: (m, row) => `${formatNumber(m.value)} KB (node-ipc ${formatNumber(row.byImpl['node-ipc']?.value)} KB)`,
  },
];

/** results[impl][round] = { metricKey: value } */
export function summarize(results, impls, scenarios) {
  const rows = [];
  for (const metric of METRICS.filter((m) => scenarios.includes(m.scenario))) {
    const row = { metric, byImpl: {} };
    for (const impl of impls) {
      const values = results[impl].map((r) => r?.[metric.key] ?? null);
      const ratios = results[impl].map((r, i) => {
        const raw = results.raw?.[i]?.[metric.key];
        const value = r?.[metric.key];
        return raw && value !== undefined && value !== null ? value / raw : null;
      });
      row.byImpl[impl] = { value: median(values), ratio: median(ratios), values };
    }
    rows.push(row);
  }
  return rows;
}

export function table(rows, impls) {
  const others = impls.filter((impl) => impl !== 'raw');
  const header = ['metric (median)', ...impls, ...others.map((impl) => `${impl} / raw`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const { metric, byImpl } of rows) {
    const cells = [metric.label, ...impls.map((impl) => formatNumber(byImpl[impl].value)), ...others.map((impl) => formatRatio(byImpl[impl].ratio))];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function perRound(rows, impls) {
  const lines = [];
  for (const { metric, byImpl } of rows) {
    const parts = impls.map((impl) => `${impl} [${byImpl[impl].values.map((v) => formatNumber(v)).join(', ')}]`);
    lines.push(`- ${metric.label}: ${parts.join('; ')}`);
  }
  return lines.join('\n');
}

export function verdicts(rows, impls) {
  if (!impls.includes('ipcio')) return '';
  const lines = [];
  for (const target of TARGETS) {
    const row = rows.find((r) => r.metric.key === target.key);
    if (!row) continue;
    const m = row.byImpl.ipcio;
    const measured = m.value !== null && (!target.vsRaw || m.ratio !== null) && (target.needs?.(row) ?? true);
    const verdict = !measured ? 'NOT MEASURED' : target.met(m, row) ? 'MET' : 'MISSED';
    lines.push(`- ${verdict}: ${target.text}: ipcio ${target.show(m, row)}`);
  }
  return lines.join('\n');
}

