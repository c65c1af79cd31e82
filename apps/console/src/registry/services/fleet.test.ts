import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ApprovalSchema, BundleManifestSchema, fromBase64, utf8Decode } from '@airlock/shared/common';
import { enrollment, hostKey, report, statusBody, type FakeHostKey } from '../../../../../test/helpers/hosts.js';
import { churnVariant, makeRegistry, type TestRegistry } from '../../../../../test/helpers/registry.js';
import { useSuiteTempDirs, useTempDirs } from '../../../../../test/helpers/tmp.js';
import { deployments } from '../repos/deployments.js';
import { createEnvironment } from './environments.js';
import { createDeployment, exportBundle, listDeployments } from './deployments.js';
import { fleet } from './fleet.js';
import { assignHost, enrollHost, revokeHost } from './hosts.js';
import { importModel } from './import.js';
import { transitionVersion } from './lifecycle.js';
import { decidePromotion, requestPromotion, rollback } from './promotions.js';
import { importReports } from './reports.js';
import { listReviews } from './reviews.js';

const suiteDir = useSuiteTempDirs();
const tempDir = useTempDirs();
let t: TestRegistry;
let a: FakeHostKey;
let b: FakeHostKey;

beforeAll(async () => {
  t = await makeRegistry(await suiteDir());
  createEnvironment(t.reg, t.as.alice, { name: 'prod', tier: 1, policy: { approvals: 0 } });
  a = hostKey('host-a');
  b = hostKey('host-b');
  for (const h of [a, b]) {
    enrollHost(t.reg, t.as.olga, enrollment(h));
    assignHost(t.reg, t.as.olga, h.hostId, 'prod');
  }
});

async function activate(tag: string) {
  const { version } = await importModel(t.reg, t.as.bob, { path: await churnVariant(await suiteDir(), tag), model: 'churn' });
  await transitionVersion(t.reg, t.as.bob, `churn@${version.number}`, 'validated', 'ok');
  await requestPromotion(t.reg, t.as.bob, `churn@${version.number}`, 'prod');
  return version;
}

describe('hosts', () => {
  it('refuses an enrollment not signed by the key it presents', () => {
    const h = hostKey('host-x');
    expect(() => enrollHost(t.reg, t.as.olga, enrollment(h, hostKey('other').signer))).toThrow(expect.objectContaining({ code: 'SIGNATURE_KEY_UNKNOWN' }));
  });

  it('refuses re-enrolling a host with another key until an admin revokes the old one', () => {
    const impostor = hostKey('host-a');
    expect(() => enrollHost(t.reg, t.as.olga, enrollment(impostor))).toThrow(expect.objectContaining({ code: 'HOST_KEY_CHANGED' }));
    expect(enrollHost(t.reg, t.as.olga, enrollment(a))).toMatchObject({ created: false });
    const c = hostKey('host-c');
    enrollHost(t.reg, t.as.olga, enrollment(c));
    expect(() => revokeHost(t.reg, t.as.olga, 'host-c', 'lost')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    revokeHost(t.reg, t.as.alice, 'host-c', 'disk replaced');
    expect(enrollHost(t.reg, t.as.olga, enrollment(hostKey('host-c')))).toMatchObject({ created: true });
  });
});

describe('deployments, deltas and reports', () => {
  it('tracks a deployment per host from receipts and status, idempotently, and rejects what it cannot trust', async () => {
    const v = await activate('d1');
    const d = createDeployment(t.reg, t.as.olga, { model: 'churn', env: 'prod', hosts: ['host-a', 'host-b'] });
    const full = await exportBundle(t.reg, t.as.olga, d.id, await tempDir(), { delta: 'auto' });
    expect(full.omitted).toBe(0);
    const digests = (await import('../repos/components.js')).components.of(t.reg.db, v.id).map((c) => c.digest);
    const stick = await tempDir();
    const slot = { slot: 'churn', model: 'churn', version: v.number, digest: v.digest, healthy: true };
    await writeFile(join(stick, 'a-1.json'), report(a, 'receipt', { bundleId: d.bundleId, outcome: 'applied', slots: [], timings: {} }));
    await writeFile(join(stick, 'a-2.json'), report(a, 'status', statusBody(slot, digests)));
    await writeFile(join(stick, 'b-1.json'), report(b, 'receipt', { bundleId: d.bundleId, outcome: 'rolled_back', code: 'HEALTH_GATE_FAILED', message: 'golden request failed', slots: [], timings: {} }));
    await writeFile(join(stick, 'b-2.json'), report(b, 'status', statusBody({ ...slot, healthy: true }, digests)));
    await writeFile(join(stick, 'forged.json'), report({ ...a, seq: 50 }, 'status', statusBody(slot, []), hostKey('mallory').signer));
    await writeFile(join(stick, 'stranger.json'), report(hostKey('host-z'), 'status', statusBody(slot, [])));
    await writeFile(join(stick, 'garbage.json'), '{"payloadType": 1}');

    const first = await importReports(t.reg, t.as.olga, stick);
    expect(first).toMatchObject({ imported: 4, duplicates: 0 });
    expect(first.rejected.map((r) => `${r.file}:${r.code}`).sort()).toEqual(['forged.json:SIGNATURE_KEY_UNKNOWN', 'garbage.json:ENVELOPE_INVALID', 'stranger.json:HOST_UNKNOWN']);
    const again = await importReports(t.reg, t.as.olga, stick);
    expect(again).toMatchObject({ imported: 0, duplicates: 4 });

    const row = listDeployments(t.reg, t.as.aud).find((x) => x.id === d.id)!;
    expect(row.hosts).toEqual([
      { hostId: 'host-a', state: 'healthy', code: null, serving: 'churn@1' },
      { hostId: 'host-b', state: 'rolled_back', code: 'HEALTH_GATE_FAILED', serving: 'churn@1' },
    ]);
    expect(listReviews(t.reg, t.as.aud).filter((r) => r.kind === 'host_rolled_back' && r.subject === 'host:host-b')).toHaveLength(1);
    expect(fleet(t.reg, t.as.aud, { staleAfterMinutes: 60 }).find((f) => f.hostId === 'host-a')).toMatchObject({ environment: 'prod', health: 'healthy', stale: false, pendingDeployments: 0, slots: [{ slot: 'churn', version: `churn@${v.number}`, healthy: true }] });

    const v2 = await activate('d2');
    const d2 = createDeployment(t.reg, t.as.olga, { model: 'churn', env: 'prod', hosts: ['host-a', 'host-b'] });
    const out = await tempDir();
    const delta = await exportBundle(t.reg, t.as.olga, d2.id, out, { delta: 'auto' });
    expect(delta.blobs - delta.omitted).toBe(1);
    expect((await stat(delta.path)).size).toBeLessThan(64 * 1024);
    expect(v2.number).toBe(v.number + 1);
    expect(await readdir(out)).toEqual([delta.path.split('/').at(-1)]);
    expect(fleet(t.reg, t.as.aud, { staleAfterMinutes: 60 }).find((f) => f.hostId === 'host-a')?.pendingDeployments).toBe(1);
  });

  it('only a release key may sign a bundle', async () => {
    await activate('d3');
    const d = createDeployment(t.reg, t.as.olga, { model: 'churn', env: 'prod' });
    await mkdir(join(await tempDir(), 'x'), { recursive: true });
    await expect(exportBundle(t.reg, t.as.bob, d.id, await tempDir(), { delta: 'none' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('a break-glass rollback carries the approvals that made the same version active before', async () => {
    createEnvironment(t.reg, t.as.alice, { name: 'secure', tier: 1, policy: { approvals: 1 } });
    const refs: string[] = [];
    for (const tag of ['s1', 's2']) {
      const { version } = await importModel(t.reg, t.as.bob, { path: await churnVariant(await suiteDir(), tag), model: 'scorer' });
      const ref = `scorer@${version.number}`;
      await transitionVersion(t.reg, t.as.bob, ref, 'validated', 'ok');
      const req = await requestPromotion(t.reg, t.as.bob, ref, 'secure');
      await decidePromotion(t.reg, t.as[tag === 's1' ? 'carol' : 'dave'], req.promotion.id, 'approve');
      refs.push(ref);
    }
    rollback(t.reg, t.as.olga, 'scorer', 'secure', 'v2 mis-scores');
    const d = createDeployment(t.reg, t.as.olga, { model: 'scorer', env: 'secure' });
    expect(d).toMatchObject({ version: 'scorer@1', approvals: 1 });
    const slot = BundleManifestSchema.parse(JSON.parse(deployments.byId(t.reg.db, d.id)!.manifest)).slots.scorer!;
    const approval = ApprovalSchema.parse(JSON.parse(utf8Decode(fromBase64(slot.approvals[0]!.payload))));
    expect(approval).toMatchObject({ approver: 'carol', environment: 'secure', versionDigest: slot.model.digest, decision: 'approve' });
  });
});
