import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleManifestInput, Envelope } from '@airlock/shared/common';
import { churnSlot, startAgent, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { codeOfAsync } from '../helpers/codes.js';
import { churnVariant, PASSPHRASE } from '../helpers/registry.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { makeWorld, type World } from '../helpers/world.js';
import { createDeployment, exportBundle } from '../../apps/console/src/registry/services/deployments.js';
import { decidePromotion, requestPromotion } from '../../apps/console/src/registry/services/promotions.js';
import { runEvaluation } from '../../apps/console/src/registry/services/evaluations.js';
import { importModel } from '../../apps/console/src/registry/services/import.js';
import { transitionVersion } from '../../apps/console/src/registry/services/lifecycle.js';
import { deployments } from '../../apps/console/src/registry/repos/deployments.js';
import { revokeUser } from '../../apps/console/src/registry/services/users.js';
import { unlock } from '../../apps/console/src/registry/auth.js';
import { proposeRoot, publishRoot, signDraftFile } from '../../apps/console/src/registry/services/root-ceremony.js';
import { currentRoot, readRoots } from '../../apps/console/src/registry/roots.js';

/**
 * People leave: `user revoke` (or a root ceremony) drops their key, and a real host refuses what that key alone signs
 * once the new root reaches it — bundles from a dropped release key, approvals from a dropped
 * approver — while what the remaining keys sign still applies.
 */
const suiteDir = useSuiteTempDirs();
let dir: string;
let w: World;
let agent: RunningAgent;
let oldRoots: Map<number, Envelope>;

async function ceremony(name: string, remove: { role: 'release' | 'approver'; user: string }[]): Promise<number> {
  const draft = join(dir, `${name}.draft.json`);
  await proposeRoot(w.reg, w.as.alice, { out: draft, add: [], remove, thresholds: {} });
  await signDraftFile(draft, w.as.alice.signer, (await currentRoot(w.reg.home)).root);
  return (await publishRoot(w.reg, w.as.alice, { draft })).version;
}

async function exportAs(who: 'alice' | 'olga', stick: string) {
  const d = createDeployment(w.reg, w.as.alice, { model: 'churn', env: 'prod' });
  return exportBundle(w.reg, w.as[who], d.id, join(dir, stick), { delta: 'none', mkdir: true });
}

beforeAll(async () => {
  dir = await suiteDir();
  w = await makeWorld(join(dir, 'world'));
  oldRoots = new Map((await readRoots(w.reg.home)).map((r) => [r.root.version, r.envelope]));
  agent = await startAgent({ stateDir: join(dir, 'host'), rootFile: join(w.reg.home.roots, '1.root.json'), hostId: 'host-a', slot: 'churn', config: { requireApprovals: true } });
  const first = await exportAs('olga', 'stick-1');
  expect(await agent.call({ op: 'apply', path: first.path })).toMatchObject({ outcome: 'applied' });
}, 90_000);
afterAll(async () => {
  await agent?.stop();
  w?.reg.close();
});

describe('a key dropped by a root ceremony, on a real host', () => {
  it("refuses bundles signed only by a dropped release key once the new root has reached it; the remaining key's bundles apply", async () => {
    const before = (await agent.call({ op: 'status' })).rootVersion;
    const revoked = await revokeUser(w.reg, w.as.alice, { name: 'olga', reason: 'left the company' });
    expect(revoked).toMatchObject({ disabled: true, rootRoles: ['release'], draft: null });
    const version = revoked.rootVersion!;
    expect(version).toBe(before + 1);
    // The registry no longer takes olga's key at all...
    expect(await codeOfAsync(() => unlock(w.reg, 'olga', PASSPHRASE))).toBe('UNAUTHENTICATED');
    expect(await codeOfAsync(() => exportAs('olga', 'stick-2'))).toBe('FORBIDDEN');
    // ...alice's bundle carries the new root to the host, which takes it.
    const carried = await exportAs('alice', 'stick-3');
    expect(await agent.call({ op: 'apply', path: carried.path })).toMatchObject({ outcome: 'applied' });
    expect((await agent.call({ op: 'status' })).rootVersion).toBe(version);

    // olga (or whoever holds her old key) signs a bundle herself, carrying only the roots that trusted her.
    const forged = join(dir, 'forged.airlock');
    const slot = await churnSlot(w.reg.store);
    await writeTestBundle(forged, w.reg.store, { slots: { churn: slot }, sequence: 50, hosts: ['host-a'] }, [w.as.olga.signer], oldRoots);
    expect(await agent.call({ op: 'apply', path: forged })).toMatchObject({ outcome: 'refused', code: 'SIGNATURE_KEY_UNKNOWN' });
    // The same key under every root, the newest included, is refused alike.
    const withAll = join(dir, 'forged-all.airlock');
    await writeTestBundle(withAll, w.reg.store, { slots: { churn: slot }, sequence: 51, hosts: ['host-a'] }, [w.as.olga.signer], new Map((await readRoots(w.reg.home)).map((r) => [r.root.version, r.envelope])));
    expect(await agent.call({ op: 'apply', path: withAll })).toMatchObject({ outcome: 'refused', code: 'SIGNATURE_KEY_UNKNOWN' });
  }, 90_000);

  it("a release whose only approval is by a dropped approver key is refused by the host, so the registry does not export it; a current approver's approval ships", async () => {
    const version = await ceremony('drop-carol', [{ role: 'approver', user: 'carol' }]);
    expect(await codeOfAsync(() => exportAs('alice', 'stick-4'))).toBe('APPROVALS_INSUFFICIENT');

    // What the host would do with it: a bundle carrying the new root and carol's approval alone.
    const [deployment] = deployments.list(w.reg.db);
    const slot = (JSON.parse(deployment!.manifest) as Pick<BundleManifestInput, 'slots'>).slots.churn!;
    expect(slot.approvals).toHaveLength(1);
    const onlyCarol = join(dir, 'only-carol.airlock');
    await writeTestBundle(onlyCarol, w.reg.store, { slots: { churn: slot }, sequence: 60 }, [w.as.alice.signer], new Map((await readRoots(w.reg.home)).map((r) => [r.root.version, r.envelope])));
    expect(await agent.call({ op: 'apply', path: onlyCarol })).toMatchObject({ outcome: 'refused', code: 'APPROVALS_INSUFFICIENT' });

    // The way on: a version promoted now, which alice, still an approver, approves.
    await importModel(w.reg, w.as.bob, { path: await churnVariant(dir, 'v2'), model: 'churn' });
    await runEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout');
    await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ready');
    const { promotion } = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
    await decidePromotion(w.reg, w.as.alice, promotion.id, 'approve', 'carol has left');
    const b = await exportAs('alice', 'stick-5');
    expect(await agent.call({ op: 'apply', path: b.path })).toMatchObject({ outcome: 'applied' });
    expect((await agent.call({ op: 'status' })).rootVersion).toBe(version);
  }, 90_000);
});
