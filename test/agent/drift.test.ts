import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReportSchema } from '@airlock/shared/common';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, freePort, predict, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { CHURN } from '../helpers/registry.js';
import { useTempDirs } from '../helpers/tmp.js';
import { makeTrust, type TrustFixture } from '../helpers/trust.js';

/**
 * The drift tap on a real agent: the example's own reference traffic is counted as no drift, the same
 * traffic with tenure shifted by more than a standard deviation is drift from the first window it
 * fills and an alarm by the second, in status, on /metrics and in the signed status report.
 */
const tempDir = useTempDirs();
const agents: RunningAgent[] = [];
let dir: string;
let trust: TrustFixture;
let store: ContentStore;

beforeEach(async () => {
  dir = await tempDir();
  trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  store = await ContentStore.open(join(dir, 'registry-store'));
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

type Record4 = Record<string, number>;
async function referenceRecords(): Promise<Record4[]> {
  const text = await readFile(join(CHURN, 'reference.jsonl'), 'utf8');
  return text.trim().split('\n').map((l) => (JSON.parse(l) as { request: { record: Record4 } }).request.record);
}

async function serving(drift: boolean, window = 200): Promise<RunningAgent> {
  const ports = { admin: await freePort(), proxy: await freePort() };
  const config = { slots: { main: { listen: ports.proxy, drift: { windowRequests: window, windowSeconds: 0 } } } };
  const a = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), ports, config });
  agents.push(a);
  const path = join(dir, 'b1.airlock');
  await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { drift, health: { probationMs: 0 } }) }, sequence: 1 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
  await a.call({ op: 'apply', path });
  return a;
}

async function send(a: RunningAgent, records: Record4[]): Promise<void> {
  for (const r of records) expect((await predict(a.proxy, r)).status).toBe(200);
}

const driftOf = async (a: RunningAgent) => (await a.call({ op: 'status' })).drift;
/** The slot's drift once it holds `windows` closed windows. */
async function windowsClosed(a: RunningAgent, windows: number) {
  const found = await waitFor(async () => {
    const d = (await driftOf(a))[0];
    return d?.windows.length === windows ? d : undefined;
  }, 10_000, `${windows} windows`);
  return found!;
}

describe('the drift tap on a real agent', () => {
  it("counts the reference's own traffic as no drift and a +1.25 σ tenure shift as drift, then an alarm, in status and /metrics", async () => {
    const a = await serving(true);
    const ref = await referenceRecords();
    await send(a, ref.slice(0, 400));
    const quiet = await windowsClosed(a, 2);
    expect(quiet).toMatchObject({ slot: 'main', model: 'churn', version: 1, tapped: 400 });
    expect(quiet.windows.map((w) => [w.n, w.verdict, w.alarm])).toEqual([[200, 'ok', false], [200, 'ok', false]]);

    await send(a, ref.slice(400, 800).map((r) => ({ ...r, tenure_months: r.tenure_months! + 25 })));
    const loud = (await windowsClosed(a, 4)).windows;
    expect(loud.map((w) => [w.verdict, w.alarm])).toEqual([['ok', false], ['ok', false], ['drift', false], ['drift', true]]);
    const tenure = loud[3]!.features.find((f) => f.name === 'tenure_months')!;
    expect(tenure).toMatchObject({ verdict: 'drift', alarm: true });
    expect(tenure.statistics.meanShift!).toBeGreaterThan(1);
    // The answer drifts with the input: the model scores long-tenure customers lower.
    expect(loud[3]!.features.find((f) => f.name === 'score')!.statistics.meanShift!).toBeLessThan(0);
    expect(loud[3]!.features.find((f) => f.name === 'support_calls')!.verdict).toBe('ok');

    const metrics = await (await fetch(`http://127.0.0.1:${a.admin}/metrics`)).text();
    expect(metrics).toContain('airlock_drift_verdict{slot="main",version="churn@1",feature="tenure_months"} 2');
    expect(metrics).toContain('airlock_drift_alarm{slot="main",version="churn@1",feature="tenure_months"} 1');
    expect(metrics).toContain('airlock_drift_alarm{slot="main",version="churn@1",feature="support_calls"} 0');
    expect(metrics).toContain('airlock_drift_tapped_requests_total{slot="main"} 800');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(check.error, 'promtool is not installed: apt-get install prometheus').toBeUndefined();
    expect({ code: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({ code: 0, out: '' });
  });

  it('signs the drift windows into the status report', async () => {
    const a = await serving(true, 100);
    await send(a, (await referenceRecords()).slice(0, 100));
    await windowsClosed(a, 1);
    const [file] = await a.call({ op: 'report' });
    const envelope = JSON.parse(await readFile(join(a.stateDir, 'outbox', file!), 'utf8'));
    const report = ReportSchema.parse(JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')));
    expect(report.kind).toBe('status');
    if (report.kind !== 'status') return;
    expect(report.body.drift).toHaveLength(1);
    expect(report.body.drift[0]!.windows[0]).toMatchObject({ index: 0, n: 100, verdict: 'ok' });
  });

  it('taps nothing for a version without a profile, and the slot serves as before', async () => {
    const a = await serving(false);
    await send(a, (await referenceRecords()).slice(0, 250));
    expect(await driftOf(a)).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${a.admin}/metrics`)).text();
    expect(metrics).not.toMatch(/airlock_drift_tapped_requests_total\{slot="main"\} [1-9]/);
  });
});
