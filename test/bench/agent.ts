/**
 * The agent's targets: rollback time from the decision to the old release serving again (warm), and
 * the slot proxy's throughput and added p99 latency against the same runtime code called directly,
 * both loaded by autocannon in the same run.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, freePort, startAgent, waitFor, writeTestBundle } from '../helpers/agent.js';
import { CHURN } from '../helpers/registry.js';
import { makeTrust } from '../helpers/trust.js';
import { fmt, percentile } from './measure.js';

const DURATION_S = Number(process.env.AIRLOCK_BENCH_LOAD_SECONDS ?? 10);
const CONNECTIONS = 16;
const BODY = JSON.stringify({ record: { tenure_months: 12, monthly_charges: 70, support_calls: 2, contract_annual: 0 } });

function load(port: number): Promise<{ rps: number; p50: number; p99: number; errors: number; non2xx: number }> {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/predict`, method: 'POST', body: BODY, headers: { 'content-type': 'application/json' }, connections: CONNECTIONS, duration: DURATION_S }, (err, r) => {
      if (err) return reject(err);
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx });
    });
  });
}

async function compare(label: string, proxyPort: number, modelDir: string, print: (line: string) => void): Promise<void> {
  const directPort = await freePort();
  const direct = spawn(process.execPath, [join(modelDir, 'serve.mjs')], { env: { ...process.env, MODEL_DIR: modelDir, PORT: String(directPort) }, stdio: 'ignore' });
  try {
    await waitFor(async () => fetch(`http://127.0.0.1:${directPort}/healthz`).then((r) => r.ok, () => false), 10_000, 'the direct runtime');
    await load(directPort);
    const d = await load(directPort);
    const p = await load(proxyPort);
    print(`  ${label}`);
    print(`    direct to runtime  ${fmt(d.rps, 0)} req/s  p50 ${fmt(d.p50)} ms  p99 ${fmt(d.p99)} ms  (${CONNECTIONS} connections, ${DURATION_S} s, errors ${d.errors + d.non2xx})`);
    print(`    through the proxy  ${fmt(p.rps, 0)} req/s  p50 ${fmt(p.p50)} ms  p99 ${fmt(p.p99)} ms  (errors ${p.errors + p.non2xx})`);
    print(`    throughput ratio ${fmt(p.rps / d.rps)} (target ≥ 0.85); added p99 ${fmt(p.p99 - d.p99)} ms (target < 1 ms; autocannon reports whole ms)`);
  } finally {
    direct.kill('SIGTERM');
  }
}

const threshold = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { threshold: number }).threshold;

export async function benchAgent(work: string, print: (line: string) => void): Promise<void> {
  const dir = join(work, 'agent');
  await mkdir(dir, { recursive: true });
  const trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  const store = await ContentStore.open(join(dir, 'store'));
  const agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), env: { AIRLOCK_LOG: 'quiet' } });
  try {
    for (const [v, t] of [[1, 0.5], [2, 0.7]] as const) {
      const path = join(dir, `v${v}.airlock`);
      await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { version: v, config: { threshold: t } }) }, sequence: v }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
      await agent.call({ op: 'apply', path });
    }

    const total: number[] = [];
    const inAgent: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = await threshold(agent.proxy);
      const t0 = process.hrtime.bigint();
      const r = await agent.call({ op: 'rollback', slot: 'main' });
      await waitFor(async () => (await threshold(agent.proxy)) !== before, 5000, 'the old release to serve');
      total.push(Number(process.hrtime.bigint() - t0) / 1e6);
      inAgent.push(r.ms);
      if (!r.warm) throw new Error('rollback was not warm');
    }
    print(`  rollback, decision → old release serving (warm, 20 runs)   p50 ${fmt(percentile(total, 50))} ms  max ${fmt(Math.max(...total))} ms  (switch inside the agent: p50 ${fmt(percentile(inAgent, 50), 3)} ms)  target < 100 ms`);

    await compare('example runtime as shipped (microseconds per request)', agent.proxy, CHURN, print);

    // The same model doing 1 ms of CPU work per request, as a small real model would: installed through
    // the agent and also started directly, so both sides run identical code.
    const slow = join(dir, 'churn-1ms');
    await cp(CHURN, slow, { recursive: true });
    const predict = await readFile(join(slow, 'predict.mjs'), 'utf8');
    await writeFile(join(slow, 'predict.mjs'), predict.replace('return (record, threshold = 0.5) => {', 'return (record, threshold = 0.5) => {\n    for (const end = performance.now() + 1; performance.now() < end; );'));
    const path = join(dir, 'v3.airlock');
    await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { dir: slow, version: 3 }) }, sequence: 3 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
    await agent.call({ op: 'apply', path });
    await compare('the same model with 1 ms of work per request', agent.proxy, slow, print);
  } finally {
    await agent.stop();
  }
}
