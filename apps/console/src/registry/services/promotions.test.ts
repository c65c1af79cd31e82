import { beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_PAYLOAD_TYPE, ApprovalSchema, fromBase64, parseEnvelope, utf8Decode, utf8Encode, verifyEnvelope } from '@airlock/shared/common';
import { churnVariant, makeRegistry, type TestRegistry } from '../../../../../test/helpers/registry.js';
import { useSuiteTempDirs } from '../../../../../test/helpers/tmp.js';
import { sql } from '../db/sql.js';
import { approvals } from '../repos/approvals.js';
import { users } from '../repos/users.js';
import { createEnvironment, setOverlay } from './environments.js';
import { recordEvaluation } from './evaluations.js';
import { importModel } from './import.js';
import { transitionVersion } from './lifecycle.js';
import { decidePromotion, requestPromotion, rollback, showPromotion } from './promotions.js';
import { listReviews } from './reviews.js';

const suiteDir = useSuiteTempDirs();
let t: TestRegistry;
let now = new Date('2026-11-26T10:00:00Z');
let seq = 0;

beforeAll(async () => {
  t = await makeRegistry(await suiteDir(), { clock: () => now });
});

/** A new model (or version of `model`) that is validated and carries holdout results. */
async function ready(model: string, accuracy: number) {
  const { version } = await importModel(t.reg, t.as.bob, { path: await churnVariant(await suiteDir(), `${model}-${seq++}`), model });
  const ref = `${model}@${version.number}`;
  await transitionVersion(t.reg, t.as.bob, ref, 'validated', 'checked');
  recordEvaluation(t.reg, t.as.bob, ref, 'holdout', { metrics: { accuracy } });
  return ref;
}

function env(name: string, policy: Record<string, unknown>, tier = 1) {
  return createEnvironment(t.reg, t.as.alice, { name, tier, policy: { requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8, maxDrop: 0.02 }] }], ...policy } });
}

const activeIn = (envName: string, model: string) =>
  t.reg.db.all<{ number: number }>(sql`SELECT v.number FROM activations a JOIN versions v ON v.id = a.version_id JOIN environments e ON e.id = a.env_id JOIN models m ON m.id = a.model_id
    WHERE e.name = ${envName} AND m.name = ${model} AND a.ended_at IS NULL`).map((r) => r.number);

describe('promotion', () => {
  it('requests, refuses self-approval, and activates on an approver signature', async () => {
    env('p1', { approvals: 1 });
    const ref = await ready('m1', 0.9);
    const req = await requestPromotion(t.reg, t.as.bob, ref, 'p1');
    expect(req.promotion.state).toBe('awaiting_approval');
    expect(req.refused).toBeUndefined();
    await expect(decidePromotion(t.reg, t.as.bob, req.promotion.id, 'approve')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(decidePromotion(t.reg, t.as.alice, req.promotion.id, 'approve')).resolves.toMatchObject({ promotion: { state: 'active' } });
    expect(activeIn('p1', 'm1')).toEqual([1]);
  });

  it('does not let the requester or the creator approve, even with the approver role', async () => {
    env('p2', { approvals: 1 });
    const ref = await ready('m2', 0.9);
    const req = await requestPromotion(t.reg, t.as.alice, ref, 'p2');
    await expect(decidePromotion(t.reg, t.as.alice, req.promotion.id, 'approve')).rejects.toMatchObject({ code: 'APPROVAL_SELF' });
    const { approvals: list } = showPromotion(t.reg, t.as.aud, req.promotion.id);
    expect(list).toEqual([]);
  });

  it('fails the gates on missing results, an absolute threshold, and a drop against the active version', async () => {
    env('p3', { approvals: 0 });
    const low = await ready('m3', 0.7);
    const r1 = await requestPromotion(t.reg, t.as.bob, low, 'p3');
    expect(r1.promotion.state).toBe('gates_failed');
    expect(r1.refused?.code).toBe('GATE_FAILED');
    expect(r1.refused?.message).toMatch(/evaluation:holdout:accuracy \(0\.7 < min 0\.8\)/);

    const good = await ready('m3', 0.95);
    expect((await requestPromotion(t.reg, t.as.bob, good, 'p3')).promotion.state).toBe('active');
    const worse = await ready('m3', 0.92);
    const r3 = await requestPromotion(t.reg, t.as.bob, worse, 'p3');
    expect(r3.promotion.state).toBe('gates_failed');
    expect(r3.refused?.message).toMatch(/more than 0\.02 below the active version's 0\.95/);

    const { version } = await importModel(t.reg, t.as.bob, { path: await churnVariant(await suiteDir(), 'unvalidated'), model: 'm3' });
    const r4 = await requestPromotion(t.reg, t.as.bob, `m3@${version.number}`, 'p3');
    expect(r4.refused?.message).toMatch(/lifecycle .*registered/);
    expect(r4.refused?.message).toMatch(/no holdout results/);
  });

  it('needs the quorum of distinct approvers; a second decision by the same approver is refused', async () => {
    env('p4', { approvals: 2 });
    const ref = await ready('m4', 0.9);
    const { promotion } = await requestPromotion(t.reg, t.as.bob, ref, 'p4');
    expect((await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve')).promotion.state).toBe('awaiting_approval');
    await expect(decidePromotion(t.reg, t.as.carol, promotion.id, 'approve')).rejects.toMatchObject({ code: 'APPROVAL_DUPLICATE' });
    expect((await decidePromotion(t.reg, t.as.dave, promotion.id, 'approve')).promotion.state).toBe('active');
  });

  it('signs each approval over the evidence digest with the approver key', async () => {
    env('p5', { approvals: 1 });
    const ref = await ready('m5', 0.9);
    const { promotion } = await requestPromotion(t.reg, t.as.bob, ref, 'p5');
    await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve', 'looks good');
    const [row] = approvals.of(t.reg.db, promotion.id);
    const carol = users.byName(t.reg.db, 'carol')!;
    const verified = verifyEnvelope(parseEnvelope(utf8Encode(row!.envelope)), APPROVAL_PAYLOAD_TYPE, { keys: new Map([[carol.key_id, fromBase64(carol.public_key)]]), keyIds: [carol.key_id], threshold: 1 });
    const approval = ApprovalSchema.parse(JSON.parse(utf8Decode(verified.payload)));
    expect(approval).toMatchObject({ promotion: promotion.id, decision: 'approve', approver: 'carol', evidenceDigest: promotion.evidenceDigest, model: 'm5' });
  });

  it('voids approvals when the evidence changes before the quorum is reached', async () => {
    env('p6', { approvals: 1 });
    const ref = await ready('m6', 0.9);
    const { promotion } = await requestPromotion(t.reg, t.as.bob, ref, 'p6');
    recordEvaluation(t.reg, t.as.bob, ref, 'holdout', { metrics: { accuracy: 0.85 } });
    const r = await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve');
    expect(r.refused?.code).toBe('EVIDENCE_CHANGED');
    expect(r.promotion.state).toBe('expired');
    expect(activeIn('p6', 'm6')).toEqual([]);
  });

  it('rejects, and then refuses any further decision', async () => {
    env('p7', { approvals: 1 });
    const ref = await ready('m7', 0.9);
    const { promotion } = await requestPromotion(t.reg, t.as.bob, ref, 'p7');
    expect((await decidePromotion(t.reg, t.as.carol, promotion.id, 'reject')).promotion.state).toBe('rejected');
    await expect(decidePromotion(t.reg, t.as.dave, promotion.id, 'approve')).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('expires requests older than the policy allows, and only those', async () => {
    env('p8', { approvals: 2, requestTtlHours: 1 });
    const ref = await ready('m8', 0.9);
    const { promotion } = await requestPromotion(t.reg, t.as.bob, ref, 'p8');
    const requestedAt = now;
    // The clock is this test's own: put back afterwards so that later tests do not inherit its hours.
    try {
      now = new Date(requestedAt.getTime() + 59 * 60_000);
      expect((await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve')).promotion.state).toBe('awaiting_approval');
      now = new Date(requestedAt.getTime() + 2 * 3_600_000);
      const r = await decidePromotion(t.reg, t.as.dave, promotion.id, 'approve');
      expect(r.promotion.state).toBe('expired');
      expect(r.refused?.code).toBe('ILLEGAL_TRANSITION');
    } finally {
      now = requestedAt;
    }
  });

  it('keeps exactly one version active, and rolls back through break glass with a review item', async () => {
    env('p9', { approvals: 0 });
    const v1 = await ready('m9', 0.9);
    const v2 = await ready('m9', 0.91);
    const a1 = await requestPromotion(t.reg, t.as.bob, v1, 'p9');
    const a2 = await requestPromotion(t.reg, t.as.bob, v2, 'p9');
    expect(activeIn('p9', 'm9')).toEqual([2]);
    expect(showPromotion(t.reg, t.as.aud, a1.promotion.id).state).toBe('superseded');
    const rb = rollback(t.reg, t.as.olga, 'm9', 'p9', 'latency regression');
    expect(activeIn('p9', 'm9')).toEqual([1]);
    expect(rb.promotion).toMatchObject({ state: 'active', breakGlass: true, version: 'm9@1' });
    expect(showPromotion(t.reg, t.as.aud, a2.promotion.id).state).toBe('rolled_back');
    expect(listReviews(t.reg, t.as.aud).find((r) => r.id === rb.reviewId)).toMatchObject({ kind: 'rollback', detail: expect.stringMatching(/from m9@2 to m9@1: latency regression/) });
    expect(() => rollback(t.reg, t.as.olga, 'm1', 'p9', 'nothing there')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('blocks a version whose base model is revoked, and flags it when the revocation happens', async () => {
    env('p10', { approvals: 0, requiredSuites: [] });
    const base = await ready('base', 0.9);
    const baseDigest = t.reg.db.get<{ digest: string }>(sql`SELECT digest FROM versions v JOIN models m ON m.id = v.model_id WHERE m.name = 'base'`)!.digest;
    const dir = await churnVariant(await suiteDir(), 'adapter');
    const { writeFile, readFile } = await import('node:fs/promises');
    const file = JSON.parse(await readFile(`${dir}/airlock-model.json`, 'utf8'));
    await writeFile(`${dir}/airlock-model.json`, JSON.stringify({ ...file, dependencies: { baseModel: baseDigest } }));
    const { version } = await importModel(t.reg, t.as.bob, { path: dir, model: 'tuned' });
    await transitionVersion(t.reg, t.as.bob, 'tuned@1', 'validated', 'ok');
    const revoked = await transitionVersion(t.reg, t.as.alice, base, 'revoked', 'training data leak');
    expect(revoked.flaggedDependents).toEqual(['tuned@1']);
    expect(listReviews(t.reg, t.as.aud).some((r) => r.kind === 'dependency_revoked' && r.subject === 'version:tuned@1')).toBe(true);
    const r = await requestPromotion(t.reg, t.as.bob, `tuned@${version.number}`, 'p10');
    expect(r.promotion.state).toBe('gates_failed');
    expect(r.refused?.message).toMatch(/dependencies .*revoked/);
  });

  it('validates overlays against the config schema and carries the resolved config in the evidence', async () => {
    env('p11', { approvals: 0 });
    const ref = await ready('m11', 0.9);
    expect(() => setOverlay(t.reg, t.as.olga, 'p11', 'm11', { threshold: 7 })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => setOverlay(t.reg, t.as.olga, 'p11', 'm11', { colour: 'red' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    setOverlay(t.reg, t.as.olga, 'p11', 'm11', { threshold: 0.35 });
    const { promotion } = await requestPromotion(t.reg, t.as.bob, ref, 'p11');
    const evidence = showPromotion(t.reg, t.as.aud, promotion.id).evidence;
    expect('config' in evidence && evidence.config.resolved).toEqual({ threshold: 0.35 });
  });

  it('refuses a second open request for the same version and environment', async () => {
    env('p12', { approvals: 1 });
    const ref = await ready('m12', 0.9);
    await requestPromotion(t.reg, t.as.bob, ref, 'p12');
    await expect(requestPromotion(t.reg, t.as.bob, ref, 'p12')).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
