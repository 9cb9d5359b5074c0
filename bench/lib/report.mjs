// Turns per-round results into the tables and target verdicts the runner prints.
import { formatNumber, formatRatio, median } from './stats.mjs';

/** Each scenario's numbers, as metric key -> value. */
export const METRICS = [
  { key: 'latencyMedianUs', scenario: 'latency', label: 'round-trip latency, 64 B request, median (µs)', lowerIsBetter: true },
  { key: 'latencyP99Us', scenario: 'latency', label: 'round-trip latency, 64 B request, p99 (µs)', lowerIsBetter: true },
  { key: 'msgsPerSecond', scenario: 'small', label: 'small one-way messages (msgs/s)' },
  { key: 'jsonMBps', scenario: 'json-1mib', label: '1 MiB JSON string, one-way (MB/s)' },
  { key: 'binaryMBps', scenario: 'binary-1mib', label: '1 MiB binary, one-way (MB/s) [node-ipc: base64]' },
  { key: 'idleRssMB', scenario: 'idle', label: '1,000 idle clients: server RSS delta (MB)', lowerIsBetter: true },
  { key: 'idleHeapMB', scenario: 'idle', label: '1,000 idle clients: server heapUsed delta (MB)', lowerIsBetter: true },
  // Diagnostics: CPU time (user + system) per message on each side, to see where the time goes.
  { key: 'latencyClientCpuUs', scenario: 'latency', label: 'latency: client CPU per request (µs)', cpu: true },
  { key: 'latencyServerCpuUs', scenario: 'latency', label: 'latency: server CPU per request (µs)', cpu: true },
  { key: 'smallClientCpuUs', scenario: 'small', label: 'small: client CPU per message (µs)', cpu: true },
  { key: 'smallServerCpuUs', scenario: 'small', label: 'small: server CPU per message (µs)', cpu: true },
  { key: 'jsonClientCpuUs', scenario: 'json-1mib', label: '1 MiB JSON: client CPU per message (µs)', cpu: true },
  { key: 'jsonServerCpuUs', scenario: 'json-1mib', label: '1 MiB JSON: server CPU per message (µs)', cpu: true },
  { key: 'binaryClientCpuUs', scenario: 'binary-1mib', label: '1 MiB binary: client CPU per message (µs)', cpu: true },
  { key: 'binaryServerCpuUs', scenario: 'binary-1mib', label: '1 MiB binary: server CPU per message (µs)', cpu: true },
];

/** The aims for ipcio, checked against the medians. */
export const TARGETS = [
  { key: 'latencyMedianUs', text: 'latency within 1.3x of raw', vsRaw: true, met: (m) => m.ratio <= 1.3, show: (m) => `${formatRatio(m.ratio)} (${formatNumber(m.value)} µs)` },
  { key: 'msgsPerSecond', text: 'small-message throughput >= 0.6x raw', vsRaw: true, met: (m) => m.ratio >= 0.6, show: (m) => `${formatRatio(m.ratio)} (${formatNumber(m.value)} msgs/s)` },
  { key: 'jsonMBps', text: '1 MiB JSON >= 0.8x raw', vsRaw: true, met: (m) => m.ratio >= 0.8, show: (m) => `${formatRatio(m.ratio)} (${formatNumber(m.value)} MB/s)` },
  { key: 'binaryMBps', text: '1 MiB binary >= 1 GB/s (1000 MB/s)', met: (m) => m.value >= 1000, show: (m) => `${formatNumber(m.value)} MB/s` },
  { key: 'idleRssMB', text: '1,000 idle clients add < 50 MB', met: (m) => m.value < 50, show: (m) => `${formatNumber(m.value)} MB RSS` },
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
    const measured = m.value !== null && (!target.vsRaw || m.ratio !== null);
    const verdict = !measured ? 'NOT MEASURED' : target.met(m) ? 'MET' : 'MISSED';
    lines.push(`- ${verdict}: ${target.text}: ipcio ${target.show(m)}`);
  }
  return lines.join('\n');
}

