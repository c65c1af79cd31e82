import { z } from 'zod';
import {
  AirlockError,
  APPROVAL_PAYLOAD_TYPE,
  APPROVAL_SCHEMA,
  canonicalJson,
  configDigest,
  sha256Hex,
  signEnvelope,
  utf8Encode,
  type Approval,
  type ErrorData,
} from '@airlock/shared/common';
import { authorize, type Actor, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { assertPromotionTransition } from '../lifecycle.js';
import { PolicySchema } from '../../api/policy.js';
import { storedPolicy } from '../policy.js';
import { activations } from '../repos/activations.js';
import { approvals } from '../repos/approvals.js';
import { environments, type EnvironmentRow } from '../repos/environments.js';
import type { PromotionState } from '../../api/enums.js';
import { promotions, type PromotionView } from '../repos/promotions.js';
import { reviews } from '../repos/reviews.js';
import { versions, type VersionView } from '../repos/versions.js';
import { requireEnvironment } from './environments.js';
import { ActedOn } from '../integrity/acted-on.js';
import { checkIntegrity, computeEvidence, evidenceDigest, liveEvidence, type Evidence } from './evidence.js';
import { refOf, resolveVersion } from './refs.js';
import { storedJson } from '../db/stored.js';

/** What an approval binds of a promotion's evidence besides its digest: the configuration hosts will run. */
const EvidenceConfigSchema = z.object({ config: z.object({ resolved: z.record(z.string(), z.unknown()) }) });

export interface PromotionResult {
  promotion: PromotionSummary;
  /** set when the call was recorded but did not get what it asked for (gates failed, evidence changed, expired) */
  refused?: ErrorData;
}

export interface PromotionSummary {
  id: number;
  version: string;
  digest: string;
  environment: string;
  state: PromotionState;
  breakGlass: boolean;
  requestedBy: string;
  requestedAt: string;
  updatedAt: string;
  evidenceDigest: string;
}

const summary = (p: PromotionView): PromotionSummary => ({
  id: p.id,
  version: `${p.model}@${p.number}`,
  digest: p.digest,
  environment: p.environment,
  state: p.state,
  breakGlass: p.break_glass === 1,
  requestedBy: p.requester,
  requestedAt: p.requested_at,
  updatedAt: p.updated_at,
  evidenceDigest: p.evidence_digest,
});

function move(reg: Registry, id: number, from: PromotionState, to: PromotionState): void {
  assertPromotionTransition(from, to);
  promotions.setState(reg.db, id, to, reg.now());
}

/** Makes a promotion's version the active one: the old activation ends and the new one begins in one transaction. */
function activate(reg: Registry, promotionId: number, v: VersionView, env: EnvironmentRow, endedAs: 'superseded' | 'rolled_back'): void {
  const now = reg.now();
  const current = activations.current(reg.db, env.id, v.model_id);
  if (current) {
    activations.end(reg.db, current.id, now, promotionId);
    const previous = promotions.byId(reg.db, current.promotion_id)!;
    move(reg, previous.id, previous.state, endedAs);
  }
  activations.insert(reg.db, { env_id: env.id, model_id: v.model_id, version_id: v.id, promotion_id: promotionId, activated_at: now });
}

const failedGates = (e: Evidence) => e.gates.filter((g) => !g.passed);

/** The evidence a request would record now, gates and all, without recording anything: the preview before asking. */
export async function previewPromotion(reg: Registry, _actor: Actor, ref: string, envName: string): Promise<Evidence> {
  const v = resolveVersion(reg, ref);
  const integrity = await checkIntegrity(reg, v.id);
  const env = requireEnvironment(reg, envName);
  return computeEvidence(liveEvidence(reg, new ActedOn(reg)), v.id, env.id, integrity);
}

/** Requests promotion of a version to an environment: gates are evaluated and stored as evidence. */
export async function requestPromotion(reg: Registry, actor: SigningActor, ref: string, envName: string): Promise<PromotionResult> {
  authorize(actor, 'promote.request');
  const v = resolveVersion(reg, ref);
  const integrity = await checkIntegrity(reg, v.id);
  return mutate(reg, actor, 'promote.request', () => {
    const env = requireEnvironment(reg, envName);
    const open = promotions.openFor(reg.db, v.id, env.id);
    if (open.length > 0) throw new AirlockError('CONFLICT', `${refOf(v)} already has an open request for ${envName} (#${open[0]!.id}).`);
    const fresh = versions.byId(reg.db, v.id)!;
    const evidence = computeEvidence(liveEvidence(reg, new ActedOn(reg)), v.id, env.id, integrity);
    const failed = failedGates(evidence);
    const quorum = evidence.policy.approvals;
    const state: PromotionState = failed.length > 0 ? 'gates_failed' : quorum === 0 ? 'approved' : 'awaiting_approval';
    assertPromotionTransition('requested', state);
    const now = reg.now();
    const id = promotions.insert(reg.db, {
      version_id: v.id,
      env_id: env.id,
      state,
      evidence: canonicalJson(evidence),
      evidence_digest: evidenceDigest(evidence),
      break_glass: 0,
      requested_by: actor.user.id,
      requested_at: now,
      updated_at: now,
    });
    if (state === 'approved') {
      activate(reg, id, fresh, env, 'superseded');
      move(reg, id, 'approved', 'active');
    }
    const refused: ErrorData | undefined = failed.length
      ? { code: 'GATE_FAILED', message: `${failed.length} gate(s) failed: ${failed.map((g) => `${g.gate} (${g.detail})`).join('; ')}.` }
      : undefined;
    return {
      result: { promotion: summary(promotions.byId(reg.db, id)!), ...(refused ? { refused } : {}) },
      audit: { action: 'promote.request', subject: `promotion:${id}`, details: { version: refOf(v), environment: envName, state, evidenceDigest: evidenceDigest(evidence), failed: failed.map((g) => g.gate) } },
    };
  });
}

function expired(reg: Registry, p: PromotionView): boolean {
  const env = environments.byId(reg.db, p.env_id)!;
  const ttlMs = storedPolicy(env).requestTtlHours * 3_600_000;
  return Date.parse(reg.now()) > Date.parse(p.requested_at) + ttlMs;
}

function requirePromotion(reg: Registry, id: number): PromotionView {
  const p = promotions.byId(reg.db, id);
  if (!p) throw new AirlockError('NOT_FOUND', `There is no promotion #${id}.`);
  return p;
}

/**
 * An approver's decision, signed over the evidence digest. The requester and the version's creator
 * cannot decide. When approvals reach the quorum, the evidence is re-derived: if anything changed
 * the approvals are void and the request expires; otherwise the version becomes active.
 */
export async function decidePromotion(reg: Registry, actor: SigningActor, id: number, decision: 'approve' | 'reject', note = ''): Promise<PromotionResult> {
  authorize(actor, 'promote.decide');
  const before = requirePromotion(reg, id);
  const integrity = await checkIntegrity(reg, before.version_id);
  return mutate<PromotionResult>(reg, actor, 'promote.decide', () => {
    const p = requirePromotion(reg, id);
    const v = versions.byId(reg.db, p.version_id)!;
    const env = environments.byId(reg.db, p.env_id)!;
    const subject = `promotion:${id}`;
    const checked = new ActedOn(reg);
    checked.promotion(p);
    if (p.state === 'awaiting_approval' && expired(reg, p)) {
      move(reg, id, p.state, 'expired');
      return {
        result: { promotion: summary(requirePromotion(reg, id)), refused: { code: 'ILLEGAL_TRANSITION', message: `Promotion #${id} waited longer than its policy allows and has expired; request it again.` } },
        audit: { action: 'promote.expire', subject, details: { reason: 'ttl' } },
      };
    }
    assertPromotionTransition(p.state, decision === 'approve' ? 'approved' : 'rejected');
    if (actor.user.id === p.requested_by) throw new AirlockError('APPROVAL_SELF', `${actor.user.name} requested promotion #${id} and cannot also decide it.`);
    if (actor.user.id === v.created_by) throw new AirlockError('APPROVAL_SELF', `${actor.user.name} created ${refOf(v)} and cannot decide its promotion.`);
    const decided = approvals.of(reg.db, id);
    for (const a of decided) checked.approval(a);
    if (decided.some((a) => a.user_id === actor.user.id)) throw new AirlockError('APPROVAL_DUPLICATE', `${actor.user.name} has already decided promotion #${id}.`);

    const now = reg.now();
    const payload: Approval = {
      schema: APPROVAL_SCHEMA,
      promotion: id,
      environment: env.name,
      model: v.model,
      version: v.number,
      versionDigest: v.digest,
      configDigest: configDigest(storedJson(p.evidence, `the evidence of promotion #${id}`, EvidenceConfigSchema).config.resolved),
      evidenceDigest: p.evidence_digest,
      quorum: storedJson(p.evidence, `the evidence of promotion #${id}`, z.object({ policy: PolicySchema })).policy.approvals,
      decision,
      approver: actor.user.name,
      at: now,
    };
    const envelope = signEnvelope(APPROVAL_PAYLOAD_TYPE, utf8Encode(canonicalJson(payload)), [actor.signer]);
    approvals.insert(reg.db, { promotion_id: id, user_id: actor.user.id, decision, evidence_digest: p.evidence_digest, envelope: JSON.stringify(envelope), at: now });
    const audit = { action: `promote.${decision}`, subject, details: { evidenceDigest: p.evidence_digest, note } };

    if (decision === 'reject') {
      move(reg, id, p.state, 'rejected');
      return { result: { promotion: summary(requirePromotion(reg, id)) }, audit };
    }
    const quorum = storedJson(p.evidence, `the evidence of promotion #${id}`, z.object({ policy: PolicySchema })).policy.approvals;
    const approvers = decided.filter((a) => a.decision === 'approve' && a.evidence_digest === p.evidence_digest).length + 1;
    if (approvers < quorum) return { result: { promotion: summary(requirePromotion(reg, id)) }, audit };

    const now2 = computeEvidence(liveEvidence(reg, checked), v.id, env.id, integrity);
    if (evidenceDigest(now2) !== p.evidence_digest || failedGates(now2).length > 0) {
      move(reg, id, p.state, 'expired');
      const changed = failedGates(now2).map((g) => g.gate);
      return {
        result: {
          promotion: summary(requirePromotion(reg, id)),
          refused: { code: 'EVIDENCE_CHANGED', message: `The evidence for promotion #${id} changed since it was requested${changed.length ? ` (now failing: ${changed.join(', ')})` : ''}; its approvals are void. Request it again.` },
        },
        audit: { ...audit, details: { ...audit.details, voided: true } },
      };
    }
    move(reg, id, p.state, 'approved');
    activate(reg, id, v, env, 'superseded');
    move(reg, id, 'approved', 'active');
    return { result: { promotion: summary(requirePromotion(reg, id)) }, audit: { ...audit, details: { ...audit.details, activated: true } } };
  });
}

export function withdrawPromotion(reg: Registry, actor: SigningActor, id: number, reason: string): PromotionResult {
  return mutate(reg, actor, 'promote.withdraw', () => {
    const p = requirePromotion(reg, id);
    if (p.requested_by !== actor.user.id && !actor.user.roles.includes('admin')) {
      throw new AirlockError('FORBIDDEN', `Only ${p.requester} (who requested #${id}) or an admin may withdraw it.`);
    }
    move(reg, id, p.state, 'withdrawn');
    return { result: { promotion: summary(requirePromotion(reg, id)) }, audit: { action: 'promote.withdraw', subject: `promotion:${id}`, details: { reason } } };
  });
}

export function listPromotions(reg: Registry, _actor: Actor, filter: { env?: string; model?: string; open?: boolean } = {}): PromotionSummary[] {
  return promotions.list(reg.db, filter).map(summary);
}

export function showPromotion(reg: Registry, _actor: Actor, id: number) {
  const p = requirePromotion(reg, id);
  return {
    ...summary(p),
    evidence: storedJson<Evidence>(p.evidence, `the evidence of promotion #${id}`),
    approvals: approvals.of(reg.db, id).map((a) => ({ approver: a.approver, decision: a.decision, at: a.at, evidenceDigest: a.evidence_digest })),
  };
}

/**
 * Break glass: makes the previously active version active again without gates or approvals, and always
 * opens a review item so that someone looks at why.
 */
export function rollback(reg: Registry, actor: SigningActor, model: string, envName: string, reason: string): PromotionResult & { reviewId: number } {
  return mutate(reg, actor, 'rollback', () => {
    const env = requireEnvironment(reg, envName);
    const currentVersion = resolveVersion(reg, model);
    const history = activations.history(reg.db, env.id, currentVersion.model_id);
    const current = history.find((a) => a.ended_at === null);
    if (!current) throw new AirlockError('NOT_FOUND', `Nothing of ${model} is active in ${envName}; there is nothing to roll back.`);
    const previous = history.find((a) => a.id !== current.id && a.version_id !== current.version_id);
    if (!previous) throw new AirlockError('NOT_FOUND', `${model} has no earlier version that was active in ${envName}.`);
    const [from, to] = [versions.byId(reg.db, current.version_id)!, versions.byId(reg.db, previous.version_id)!];
    const checked = new ActedOn(reg);
    checked.seals.assert('environments', [env.id]);
    checked.seals.assert('activations', [current.id], [previous.id]);
    checked.version(to);
    if (to.state === 'revoked' || to.state === 'quarantined') {
      throw new AirlockError('GATE_FAILED', `${refOf(to)} is ${to.state}; a rollback cannot bring it back. Promote another version.`);
    }
    const now = reg.now();
    const evidence = { schema: 'airlock.rollback/v1', breakGlass: true, from: { version: refOf(from), digest: from.digest }, to: { version: refOf(to), digest: to.digest }, environment: envName, reason };
    const id = promotions.insert(reg.db, {
      version_id: to.id,
      env_id: env.id,
      state: 'approved',
      evidence: canonicalJson(evidence),
      evidence_digest: `sha256:${sha256Hex(utf8Encode(canonicalJson(evidence)))}`,
      break_glass: 1,
      requested_by: actor.user.id,
      requested_at: now,
      updated_at: now,
    });
    activate(reg, id, to, env, 'rolled_back');
    move(reg, id, 'approved', 'active');
    const reviewId = reviews.open(reg.db, { kind: 'rollback', subject: `promotion:${id}`, detail: `${actor.user.name} rolled ${model} in ${envName} back from ${refOf(from)} to ${refOf(to)}: ${reason}`, opened_at: now, opened_by: actor.user.id });
    return {
      result: { promotion: summary(promotions.byId(reg.db, id)!), reviewId },
      audit: { action: 'promote.rollback', subject: `promotion:${id}`, details: { from: refOf(from), to: refOf(to), environment: envName, reason, reviewId } },
    };
  });
}
