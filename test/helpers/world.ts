import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll } from 'vitest';
import { openRegistry } from '../../apps/console/src/registry/context.js';
import { resolveHome } from '../../apps/console/src/registry/home.js';
import { components } from '../../apps/console/src/registry/repos/components.js';
import { createDeployment } from '../../apps/console/src/registry/services/deployments.js';
import { createEnvironment, setOverlay } from '../../apps/console/src/registry/services/environments.js';
import { runEvaluation } from '../../apps/console/src/registry/services/evaluations.js';
import { assignHost, enrollHost } from '../../apps/console/src/registry/services/hosts.js';
import { importModel } from '../../apps/console/src/registry/services/import.js';
import { transitionVersion } from '../../apps/console/src/registry/services/lifecycle.js';
import { decidePromotion, requestPromotion } from '../../apps/console/src/registry/services/promotions.js';
import { importReports } from '../../apps/console/src/registry/services/reports.js';
import { resolveReview } from '../../apps/console/src/registry/services/reviews.js';
import { checkRecords, DriftProfileSchema, type HostDriftWindow } from '@airlock/shared/common';
import { enrollment, hostKey, report, statusBody, type FakeHostKey } from './hosts.js';
import { CHURN, makeRegistry, type TestRegistry } from './registry.js';
import { useSuiteTempDirs, useTempDirs } from './tmp.js';

export interface World extends TestRegistry {
  host: FakeHostKey;
  versionId: number;
  promotionId: number;
  deploymentId: number;
  bundleId: string;
}

/**
 * A registry with at least one row in every table, each made by the service an operator would use:
 * churn@1 (with a dataset dependency and tags) evaluated, validated, promoted to prod with carol's
 * approval under an overlay, deployed to an enrolled host whose signed reports were imported (one
 * with a drift alarm, whose review was resolved with a retraining request).
 */
export async function makeWorld(dir: string): Promise<World> {
  const t = await makeRegistry(join(dir, 'registry'));
  const model = join(dir, 'churn');
  await cp(CHURN, model, { recursive: true });
  const spec = JSON.parse(await readFile(join(model, 'airlock-model.json'), 'utf8')) as { dependencies: Record<string, unknown> };
  spec.dependencies.datasets = [{ name: 'customers-2026', digest: `sha256:${'d'.repeat(64)}` }];
  await writeFile(join(model, 'airlock-model.json'), JSON.stringify(spec));

  const { version } = await importModel(t.reg, t.as.bob, { path: model, model: 'churn' });
  await runEvaluation(t.reg, t.as.bob, 'churn@1', 'holdout');
  await transitionVersion(t.reg, t.as.bob, 'churn@1', 'validated', 'ready');
  createEnvironment(t.reg, t.as.alice, { name: 'prod', tier: 1, policy: { approvals: 1, requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8 }] }] }, secrets: [] });
  setOverlay(t.reg, t.as.olga, 'prod', 'churn', { threshold: 0.6 });
  const { promotion } = await requestPromotion(t.reg, t.as.bob, 'churn@1', 'prod');
  await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve', 'looks good');

  const host = hostKey('host-a');
  enrollHost(t.reg, t.as.olga, enrollment(host));
  assignHost(t.reg, t.as.olga, host.hostId, 'prod');
  const d = createDeployment(t.reg, t.as.olga, { model: 'churn', env: 'prod' });
  const stick = join(dir, 'stick');
  await mkdir(stick, { recursive: true });
  const digests = components.of(t.reg.db, version.id).map((c) => c.digest);
  await writeFile(join(stick, '1.json'), report(host, 'receipt', { bundleId: d.bundleId, outcome: 'refused', code: 'BUNDLE_EXPIRED', message: 'clock', slots: [], timings: {} }));
  // The host then takes a fresh copy of the bundle, serves it, and its drift tap alarms.
  await writeFile(join(stick, '2.json'), report(host, 'receipt', { bundleId: d.bundleId, outcome: 'applied', slots: [], timings: {} }));
  const status = statusBody({ slot: 'churn', model: 'churn', version: 1, digest: version.digest, healthy: true }, digests);
  status.drift = [{ slot: 'churn', model: 'churn', version: 1, digest: version.digest as `sha256:${string}`, tapped: 600, windows: await driftingWindows(t, version.id, model) }];
  await writeFile(join(stick, '3.json'), report(host, 'status', status));
  const { reviews } = await importReports(t.reg, t.as.olga, stick);
  resolveReview(t.reg, t.as.olga, reviews.at(-1)!, 'customers stay longer since the new contract', 'retrain');
  return { ...t, host, versionId: version.id, promotionId: promotion.id, deploymentId: d.id, bundleId: d.bundleId };
}

/** Three windows of the example's reference with tenure shifted, counted by the host's code: an alarm (closed at `hour` o'clock and after). */
export async function driftingWindows(t: TestRegistry, versionId: number, model: string, hour = 0): Promise<HostDriftWindow[]> {
  const comp = components.of(t.reg.db, versionId).find((c) => c.role === 'drift_profile')!;
  const profile = DriftProfileSchema.parse(JSON.parse(await readFile(t.reg.store.pathOf(comp.digest), 'utf8')));
  const lines = (await readFile(join(model, 'reference.jsonl'), 'utf8')).trim().split('\n').slice(0, 600);
  const shifted = lines.map((l) => {
    const pair = JSON.parse(l) as { request: { record: Record<string, number> }; response: unknown };
    pair.request.record.tenure_months! += 40;
    return pair;
  });
  const windows = checkRecords(profile, shifted, 200).map((w, i) => ({ ...w, closedAt: `2026-11-30T${String(hour + i).padStart(2, '0')}:00:00.000Z` }));
  if (!windows.some((w) => w.alarm)) throw new Error('the world needs a drift alarm');
  return windows;
}

/** A copy of a world in `dir` with its own database connection and store: for tests that damage it. */
export async function forkWorld(w: World, dir: string): Promise<World> {
  w.reg.db.raw.pragma('wal_checkpoint(TRUNCATE)');
  await cp(w.reg.home.dir, join(dir, 'registry'), { recursive: true });
  return { ...w, reg: await openRegistry(resolveHome(join(dir, 'registry'))) };
}

/**
 * One world per test file (built before the first test) and a disposable copy of it per test, closed
 * after the test: for tests that damage the registry.
 */
export function useWorld(): { fork(): Promise<World> } {
  const suiteDir = useSuiteTempDirs();
  const tempDir = useTempDirs();
  let world: World;
  const opened: World[] = [];
  beforeAll(async () => {
    world = await makeWorld(await suiteDir());
  }, 60_000);
  afterEach(() => {
    for (const w of opened.splice(0)) w.reg.close();
  });
  return {
    async fork() {
      const w = await forkWorld(world, await tempDir());
      opened.push(w);
      return w;
    },
  };
}

export const countRows = (w: World, table: string) => w.reg.db.get<{ n: number }>({ text: `SELECT count(*) AS n FROM ${table}`, values: [] })!.n;
