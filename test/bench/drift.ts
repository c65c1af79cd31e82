/**
 * The drift tap's own costs, in process: CPU per tapped request (parse the bodies, count every feature,
 * test a window every 1,000) for the churn example's four input features and for all five with the
 * answer, and the heap from 10⁴ to 10⁷ tapped requests (it must stay flat: bins, not samples).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { buildProfile, ModelFileSchema, tapRecordOf, type MonitoringSpec } from '@airlock/shared/common';
import { DriftTap } from '../../agent/src/drift/tap.js';
import { CHURN } from '../helpers/registry.js';
import { fmt } from './measure.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const CONFIG = { sampleRate: 1, windowRequests: 1000, windowSeconds: 0, keepWindows: 24, maxBodyBytes: 256 * 1024 };

function tapFor(spec: MonitoringSpec): DriftTap {
  const lines = readFileSync(join(CHURN, 'reference.jsonl'), 'utf8').trim().split('\n');
  const profile = buildProfile(spec, lines.map((l, i) => tapRecordOf(JSON.parse(l), 'pairs', `line ${i + 1}`)));
  const tap = new DriftTap('main', CONFIG);
  tap.serve({ profile, model: 'churn', version: 1, digest: `sha256:${'0'.repeat(64)}` });
  return tap;
}

/** Bodies as the proxy holds them: one Buffer per request and per answer, varied like real traffic. */
function bodies(count: number): [Buffer, Buffer][] {
  return Array.from({ length: count }, (_, i) => [
    Buffer.from(JSON.stringify({ record: { tenure_months: i % 72, monthly_charges: 20 + (i % 97), support_calls: i % 7, contract_annual: i % 2 } })),
    Buffer.from(JSON.stringify({ score: (i % 1000) / 1000, label: i % 2 })),
  ]);
}

function cpuPerRequestUs(tap: DriftTap, traffic: [Buffer, Buffer][], rounds: number): number {
  for (const [q, a] of traffic) tap.observe(q, a);
  const before = process.cpuUsage();
  for (let r = 0; r < rounds; r++) for (const [q, a] of traffic) tap.observe(q, a);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (rounds * traffic.length);
}

export function benchDrift(print: (line: string) => void): void {
  const model = ModelFileSchema.parse(JSON.parse(readFileSync(join(CHURN, 'airlock-model.json'), 'utf8')));
  const inputs = { ...model.monitoring, features: model.monitoring.features.filter((f) => f.from !== 'response') };
  const traffic = bodies(10_000);
  const four = cpuPerRequestUs(tapFor(inputs), traffic, 20);
  const five = cpuPerRequestUs(tapFor(model.monitoring), traffic, 20);
  print(`  tap CPU per request (parse, count, a window tested every 1,000): 4 input features ${fmt(four, 2)} µs (target ≤ 5 µs); with the answer's score too ${fmt(five, 2)} µs`);

  const tap = tapFor(model.monitoring);
  const heap: string[] = [];
  let done = 0;
  for (const checkpoint of [1e4, 1e5, 1e6, 1e7]) {
    while (done < checkpoint) {
      const [q, a] = traffic[done % traffic.length]!;
      tap.observe(q, a);
      done++;
    }
    gc();
    heap.push(`${checkpoint.toExponential(0)}: ${fmt(process.memoryUsage().heapUsed / 1048576, 1)} MiB`);
  }
  print(`  tap heap after tapped requests (flat: bins and 24 kept windows, whatever the traffic)   ${heap.join(', ')}`);
}
