/**
 * `npm run bench`: every target the issues set, measured against a reference in the same run.
 * Ratios are ours / reference (lower is better); see the README for what each line means.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchAgent } from './agent.js';
import { benchConsole } from './console.js';
import { benchDrift } from './drift.js';
import { benchFleet } from './fleet.js';
import { benchFoundation } from './foundation.js';
import { buildWorker, RUNS } from './measure.js';
import { benchRegistry } from './registry.js';

const only = process.argv[2];
const work = await mkdtemp(join(tmpdir(), 'airlock-bench-'));
const summary: string[] = [];
const print = (line: string) => {
  summary.push(line);
  console.log(line);
};
try {
  const worker = await buildWorker();
  if (!only || only === 'foundation') {
    print(`foundation (best of ${RUNS}; ratio = ours / reference, target ≤ 1.20; peak RSS target < 150 MiB, flat in size)`);
    await benchFoundation(work, worker, print);
  }
  if (!only || only === 'registry' || only === 'console') {
    print('registry queries (target: p95 < 20 ms each)');
    const seeded = await benchRegistry(work, print);
    print('console over loopback HTTP (the real `airlock console --web` on the registry above)');
    await benchConsole(work, seeded.home, seeded.models, seeded.versionsPerModel, print);
  }
  if (!only || only === 'agent') {
    print('agent (rollback and proxy, measured against the runtime called directly)');
    await benchAgent(work, print);
  }
  if (!only || only === 'drift' || only === 'agent') {
    print('drift tap (in process, the churn example\'s profile)');
    benchDrift(print);
  }
  if (!only || only === 'fleet') {
    print('fleet (delta bundles and report round trip)');
    await benchFleet(work, print);
  }
  console.log('\nsummary');
  for (const line of summary) console.log(line);
} finally {
  await rm(work, { recursive: true, force: true });
}
