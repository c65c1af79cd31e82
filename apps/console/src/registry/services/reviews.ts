import { AirlockError } from '@airlock/shared/common';
import type { Actor, SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { DRIFT_DECISIONS, type DriftDecision } from '../../api/enums.js';
import { activations } from '../repos/activations.js';
import { models } from '../repos/models.js';
import { retraining } from '../repos/retraining.js';
import { reviews, type ReviewRow } from '../repos/reviews.js';
import { refOf, resolveVersion } from './refs.js';
import { users } from '../repos/users.js';

const view = (reg: Registry, r: ReviewRow) => ({
  id: r.id,
  kind: r.kind,
  subject: r.subject,
  detail: r.detail,
  openedAt: r.opened_at,
  openedBy: r.opened_by === null ? null : (users.byId(reg.db, r.opened_by)?.name ?? null),
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by === null ? null : (users.byId(reg.db, r.resolved_by)?.name ?? null),
  note: r.note,
});

export const listReviews = (reg: Registry, _actor: Actor, opts: { all?: boolean } = {}) => reviews.list(reg.db, !opts.all).map((r) => view(reg, r));

/**
 * Resolves a review item with a note. A drift item needs a decision too: `accept` the drift, `retrain`
 * (records a retraining request for the version, which the model and the fleet show), or `rollback`
 * (only once the version serves in no environment: the rollback itself is `airlock rollback`).
 */
export function resolveReview(reg: Registry, actor: SigningActor, id: number, note: string, decision?: DriftDecision) {
  if (!note.trim()) throw new AirlockError('USAGE', 'Say what was done: --note is required to resolve a review item.');
  return mutate(reg, actor, 'review.resolve', () => {
    const r = reviews.byId(reg.db, id);
    if (!r) throw new AirlockError('NOT_FOUND', `There is no review item #${id}.`);
    if (r.resolved_at) throw new AirlockError('ILLEGAL_TRANSITION', `Review item #${id} was already resolved at ${r.resolved_at}.`);
    if (r.kind === 'drift') return resolveDrift(reg, actor, r, note, decision);
    if (decision) throw new AirlockError('USAGE', `Review item #${id} is a ${r.kind} item: --decision is only for drift items.`);
    // A break-glass rollback skips gates and approvals on the promise that someone else looks at it.
    if (r.kind === 'rollback' && r.opened_by === actor.user.id) {
      throw new AirlockError('FORBIDDEN', `${actor.user.name} rolled back and opened review item #${id}; someone else must resolve it.`);
    }
    reviews.resolve(reg.db, id, actor.user.id, reg.now(), note);
    return { result: view(reg, reviews.byId(reg.db, id)!), audit: { action: 'review.resolve', subject: `review:${id}`, details: { note } } };
  });
}

function resolveDrift(reg: Registry, actor: SigningActor, r: ReviewRow, note: string, decision: DriftDecision | undefined) {
  if (!decision) throw new AirlockError('USAGE', `Review item #${r.id} is about drift: decide with --decision ${DRIFT_DECISIONS.join('|')}.`);
  const v = resolveVersion(reg, r.subject.replace(/^version:/, ''));
  const details: Record<string, unknown> = { note, decision, version: v.digest };
  if (decision === 'rollback') {
    const serving = activations.active(reg.db, v.model_id).filter((a) => a.digest === v.digest);
    if (serving.length > 0) {
      throw new AirlockError('ILLEGAL_TRANSITION', `${refOf(v)} is still active in ${serving.map((a) => a.environment).join(', ')}: roll it back first (\`airlock rollback ${v.model} --env ENV --reason …\`), then resolve #${r.id}.`);
    }
  }
  if (decision === 'retrain') details.retraining = retraining.insert(reg.db, { version_id: v.id, review_id: r.id, reason: note, requested_at: reg.now(), requested_by: actor.user.id });
  reviews.resolve(reg.db, r.id, actor.user.id, reg.now(), `${decision}: ${note}`);
  return { result: view(reg, reviews.byId(reg.db, r.id)!), audit: { action: 'review.resolve', subject: `review:${r.id}`, details } };
}

/** Retraining requests, newest first: for one model, or every model. */
export function listRetraining(reg: Registry, _actor: Actor, model?: string) {
  let modelId: number | null = null;
  if (model) {
    const m = models.byName(reg.db, model);
    if (!m) throw new AirlockError('NOT_FOUND', `There is no model "${model}".`);
    modelId = m.id;
  }
  return retraining.list(reg.db, modelId).map((t) => ({ id: t.id, version: `${t.model}@${t.number}`, review: t.review_id, reason: t.reason, requestedAt: t.requested_at, requestedBy: t.requester }));
}
