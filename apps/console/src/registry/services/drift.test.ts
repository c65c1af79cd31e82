import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkRecords, DriftProfileSchema, sha256Hex, type DriftProfile, type HostDriftWindow, type HostStatus, type TapRecord } from '@airlock/shared/common';
import { enrollment, hostKey, report, statusBody, type FakeHostKey } from '../../../../../test/helpers/hosts.js';
import { churnVariant, makeRegistry, type TestRegistry } from '../../../../../test/helpers/registry.js';
import { useSuiteTempDirs, useTempDirs } from '../../../../../test/helpers/tmp.js';
import { components } from '../repos/components.js';
import type { VersionView } from '../repos/versions.js';
import { showDrift } from './drift.js';
import { PROFILE_PATH } from './drift-profile.js';
import { createDeployment } from './deployments.js';
import { createEnvironment } from './environments.js';
import { assignHost, enrollHost } from './hosts.js';
import { importModel } from './import.js';
import { transitionVersion } from './lifecycle.js';
import { requestPromotion } from './promotions.js';
import { importReports } from './reports.js';
import { listRetraining, listReviews, resolveReview } from './reviews.js';

/**
 * Drift in the registry: the profile built at import from the version's reference, review items opened
 * from the alarms in hosts' signed status reports (once per version while open, only for windows no
 * earlier report carried), decisions on them, and `drift show` over the reports.
 */
const suiteDir = useSuiteTempDirs();
const tempDir = useTempDirs();
let t: TestRegistry;
let a: FakeHostKey;
let b: FakeHostKey;
let c: FakeHostKey;
let v1: VersionView;
let profile: DriftProfile;
let reference: TapRecord[];

beforeAll(async () => {
  t = await makeRegistry(await suiteDir());
  createEnvironment(t.reg, t.as.alice, { name: 'prod', tier: 1, policy: { approvals: 0 } });
  createEnvironment(t.reg, t.as.alice, { name: 'staging', tier: 0, policy: { approvals: 0 } });
  a = hostKey('host-a');
  b = hostKey('host-b');
  enrollHost(t.reg, t.as.olga, enrollment(a));
  assignHost(t.reg, t.as.olga, a.hostId, 'prod');
  enrollHost(t.reg, t.as.olga, enrollment(b));
  assignHost(t.reg, t.as.olga, b.hostId, 'staging');
  const dir = await churnVariant(await suiteDir(), 'drift');
  v1 = (await importModel(t.reg, t.as.bob, { path: dir, model: 'churn' })).version;
  await transitionVersion(t.reg, t.as.bob, 'churn@1', 'validated', 'ok');
  await requestPromotion(t.reg, t.as.bob, 'churn@1', 'prod');
  await requestPromotion(t.reg, t.as.bob, 'churn@1', 'staging');
  // Each host takes the version: only then does the registry believe what it says about it.
  for (const [h, env] of [[a, 'prod'], [b, 'staging']] as const) {
    const d = createDeployment(t.reg, t.as.olga, { model: 'churn', env });
    const stick = await tempDir();
    await writeFile(join(stick, 'receipt.json'), report(h, 'receipt', { bundleId: d.bundleId, outcome: 'applied', slots: [], timings: {} }));
    await importReports(t.reg, t.as.olga, stick);
  }
  c = hostKey('host-c');
  enrollHost(t.reg, t.as.olga, enrollment(c));
  assignHost(t.reg, t.as.olga, c.hostId, 'prod');
  const comp = components.of(t.reg.db, v1.id).find((c) => c.path === PROFILE_PATH)!;
  profile = DriftProfileSchema.parse(JSON.parse(await readFile(t.reg.store.pathOf(comp.digest), 'utf8')));
  const lines = (await readFile(join(dir, 'reference.jsonl'), 'utf8')).trim().split('\n');
  reference = lines.map((l) => JSON.parse(l) as TapRecord);
});

let closed = Date.parse('2026-11-30T10:00:00Z');
/** Windows of 200 requests counted by the same code hosts run, each closed a minute after the last. */
function windows(records: TapRecord[]): HostDriftWindow[] {
  return checkRecords(profile, records, 200).map((w) => ({ ...w, closedAt: new Date((closed += 60_000)).toISOString() }));
}
const shifted = (records: TapRecord[]) => records.map((r) => ({ request: { record: { ...(r.request as { record: Record<string, number> }).record, tenure_months: 90 } } }));

function status(windowsOf: HostDriftWindow[], about: { digest?: string; model?: string; version?: number } = {}): HostStatus {
  const body = statusBody({ slot: 'churn', model: 'churn', version: 1, digest: v1.digest, healthy: true }, []);
  const drift = { slot: 'churn', model: about.model ?? 'churn', version: about.version ?? 1, digest: (about.digest ?? v1.digest) as `sha256:${string}` };
  return { ...body, drift: [{ ...drift, tapped: windowsOf.reduce((n, w) => n + w.n, 0), windows: windowsOf }] };
}

async function deliver(host: FakeHostKey, body: HostStatus) {
  const stick = await tempDir();
  await writeFile(join(stick, `${host.hostId}-${host.seq + 1}.json`), report(host, 'status', body));
  return importReports(t.reg, t.as.olga, stick);
}

let louder: HostDriftWindow[] = [];
const openDrift = () => listReviews(t.reg, t.as.olga).filter((r) => r.kind === 'drift');

describe('the profile built at import', () => {
  it("is a component of the version, named by digest in its monitoring spec, built from the version's reference with every declared feature", async () => {
    const comp = components.of(t.reg.db, v1.id).find((c) => c.path === PROFILE_PATH)!;
    expect(comp.role).toBe('drift_profile');
    const manifest = JSON.parse(v1.manifest) as { monitoring: { referenceProfile: string } };
    expect(manifest.monitoring.referenceProfile).toBe(comp.digest);
    expect(`sha256:${sha256Hex(await readFile(t.reg.store.pathOf(comp.digest)))}`).toBe(comp.digest);
    expect(profile.records).toBe(2000);
    expect(profile.features.map((f) => f.spec.name)).toEqual(['tenure_months', 'monthly_charges', 'support_calls', 'contract_annual', 'score']);
    expect(profile.features[3]!.categorical!.categories.sort()).toEqual(['0', '1']);
  });

  it('refuses a monitoring spec that names a reference the version does not hold, or sets the profile digest itself', async () => {
    for (const [change, code] of [[{ reference: 'nope.jsonl' }, /not among the imported files/], [{ referenceProfile: `sha256:${'0'.repeat(64)}` }, /computed by the registry/]] as const) {
      const dir = await churnVariant(await tempDir(), 'bad');
      const model = JSON.parse(await readFile(join(dir, 'airlock-model.json'), 'utf8'));
      model.monitoring = { ...model.monitoring, ...change };
      await writeFile(join(dir, 'airlock-model.json'), JSON.stringify(model));
      await expect(importModel(t.reg, t.as.bob, { path: dir, model: 'churn' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(code) });
    }
  });
});

describe('drift reviews from host reports', () => {
  it("opens no review for the reference's own traffic, one for an alarm, and none more while it is open", async () => {
    const quiet = windows(reference.slice(0, 600));
    expect(quiet.map((w) => w.verdict)).toEqual(['ok', 'ok', 'ok']);
    expect((await deliver(a, status(quiet))).reviews).toEqual([]);

    const loud = [...quiet, ...windows(shifted(reference.slice(600, 1000)))];
    expect(loud.map((w) => w.alarm)).toEqual([false, false, false, false, true]);
    const opened = await deliver(a, status(loud));
    expect(opened.reviews).toHaveLength(1);
    const [item] = openDrift();
    expect(item).toMatchObject({ id: opened.reviews[0], subject: 'version:churn@1', detail: expect.stringMatching(/^host-a: drift alarm in window 1 .*severity high: tenure_months \(mean/) });

    louder = [...loud, ...windows(shifted(reference.slice(1000, 1200)))];
    expect((await deliver(a, status(louder))).reviews).toEqual([]);
    expect((await deliver(b, status(windows(shifted(reference.slice(0, 400)))))).reviews).toEqual([]);
    expect(openDrift()).toHaveLength(1);
  });

  it('ignores drift a host reports for a digest the registry does not know, under other names, or for a version it was never given', async () => {
    const before = openDrift().length;
    await resolveReview(t.reg, t.as.olga, openDrift()[0]!.id, 'looked into it', 'accept');
    const forged = () => windows(shifted(reference.slice(0, 400)));
    expect((await deliver(b, status(forged(), { digest: `sha256:${'e'.repeat(64)}` }))).reviews).toEqual([]);
    expect((await deliver(b, status(forged(), { model: 'fraud', version: 99 }))).reviews).toEqual([]);
    expect((await deliver(c, status(forged()))).reviews).toEqual([]);
    expect(openDrift()).toHaveLength(before - 1);
    expect(showDrift(t.reg, t.as.olga, { ref: 'churn', host: 'host-c', limit: 10 }).versions).toEqual([]);
    // The same windows from a host that took the version do open one.
    expect((await deliver(b, status(forged()))).reviews).toHaveLength(1);
  });

  it('needs a decision: rollback only once the version serves nowhere, retrain records a request, and only new alarms open a new item', async () => {
    const [item] = openDrift();
    expect(() => resolveReview(t.reg, t.as.olga, item!.id, 'looked')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringMatching(/--decision accept\|retrain\|rollback/) }));
    expect(() => resolveReview(t.reg, t.as.olga, item!.id, 'rolled back', 'rollback')).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION', message: expect.stringMatching(/still active in staging, prod/) }));
    const r = resolveReview(t.reg, t.as.olga, item!.id, 'tenure grew after the campaign', 'retrain');
    expect(r).toMatchObject({ note: 'retrain: tenure grew after the campaign', resolvedBy: 'olga' });
    expect(listRetraining(t.reg, t.as.olga, 'churn')).toEqual([expect.objectContaining({ version: 'churn@1', review: item!.id, reason: 'tenure grew after the campaign', requestedBy: 'olga' })]);

    // A later report still carrying the alarm windows that were reviewed opens nothing; a new alarm does.
    expect((await deliver(a, status(louder))).reviews).toEqual([]);
    const fresh = windows(shifted(reference.slice(1200, 1600)));
    expect(fresh.map((w) => w.alarm)).toEqual([false, true]);
    expect((await deliver(a, status([...louder, ...fresh]))).reviews).toHaveLength(1);
    expect(openDrift()[0]!.detail).toMatch(/window 1 /);
    expect(() => resolveReview(t.reg, t.as.olga, 9999, 'x', 'accept')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('takes a rollback decision once the version serves nowhere, and a decision only on drift items', async () => {
    const [item] = openDrift();
    const other = listReviews(t.reg, t.as.olga, { all: true }).find((r) => r.kind !== 'drift');
    if (other) expect(() => resolveReview(t.reg, t.as.olga, other.id, 'x', 'accept')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    const v2 = (await importModel(t.reg, t.as.bob, { path: await churnVariant(await tempDir(), 'retrained'), model: 'churn' })).version;
    await transitionVersion(t.reg, t.as.bob, `churn@${v2.number}`, 'validated', 'ok');
    await requestPromotion(t.reg, t.as.bob, `churn@${v2.number}`, 'prod');
    expect(() => resolveReview(t.reg, t.as.carol, item!.id, 'churn@2 replaced it', 'rollback')).toThrow(expect.objectContaining({ message: expect.stringMatching(/still active in staging/) }));
    await requestPromotion(t.reg, t.as.bob, `churn@${v2.number}`, 'staging');
    const done = resolveReview(t.reg, t.as.carol, item!.id, 'churn@2 replaced it', 'rollback');
    expect(done.note).toBe('rollback: churn@2 replaced it');
    expect(openDrift()).toEqual([]);
  });
});

describe('drift show', () => {
  it('lists each window once however many reports carried it, per host, filtered by host or environment', () => {
    const all = showDrift(t.reg, t.as.olga, { ref: 'churn', limit: 200 });
    expect(all.versions).toHaveLength(1);
    const byHost = Object.fromEntries(all.versions[0]!.hosts.map((h) => [h.host, h.windows]));
    expect(Object.keys(byHost).sort()).toEqual(['host-a', 'host-b']);
    const closedA = byHost['host-a']!.map((w) => w.closedAt);
    expect(new Set(closedA).size).toBe(closedA.length);
    expect(closedA).toHaveLength(3 + 2 + 1 + 2);
    expect(showDrift(t.reg, t.as.olga, { ref: 'churn@1', env: 'staging', limit: 200 }).versions[0]!.hosts.map((h) => h.host)).toEqual(['host-b']);
    expect(showDrift(t.reg, t.as.olga, { ref: 'churn', host: 'host-a', limit: 2 }).versions[0]!.hosts[0]!.windows).toHaveLength(2);
    expect(() => showDrift(t.reg, t.as.olga, { ref: 'churn@7', limit: 5 })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(() => showDrift(t.reg, t.as.olga, { ref: 'churn', env: 'nowhere', limit: 5 })).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });
});
