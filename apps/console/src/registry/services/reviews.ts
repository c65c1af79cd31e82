import { AirlockError } from '@airlock/shared/common';
import type { Actor, SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { reviews, type ReviewRow } from '../repos/reviews.js';
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

export function resolveReview(reg: Registry, actor: SigningActor, id: number, note: string) {
  if (!note.trim()) throw new AirlockError('USAGE', 'Say what was done: --note is required to resolve a review item.');
  return mutate(reg, actor, 'review.resolve', () => {
    const r = reviews.byId(reg.db, id);
    if (!r) throw new AirlockError('NOT_FOUND', `There is no review item #${id}.`);
    if (r.resolved_at) throw new AirlockError('ILLEGAL_TRANSITION', `Review item #${id} was already resolved at ${r.resolved_at}.`);
    // A break-glass rollback skips gates and approvals on the promise that someone else looks at it.
    if (r.kind === 'rollback' && r.opened_by === actor.user.id) {
      throw new AirlockError('FORBIDDEN', `${actor.user.name} rolled back and opened review item #${id}; someone else must resolve it.`);
    }
    reviews.resolve(reg.db, id, actor.user.id, reg.now(), note);
    return { result: view(reg, reviews.byId(reg.db, id)!), audit: { action: 'review.resolve', subject: `review:${id}`, details: { note } } };
  });
}
