import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWorld, countRows, type World } from '../../../../../test/helpers/world.js';
import { Dispatcher } from '../../backend/dispatcher.js';
import { Sessions } from '../../backend/sessions.js';
import { PASSPHRASE } from '../../../../../test/helpers/registry.js';
import { openRegistry } from '../context.js';
import { setPolicy } from './environments.js';
import { verifyRegistry } from './integrity.js';
import { dueReviews, openDueReviews } from './review-cycle.js';
import { listReviews, resolveReview } from './reviews.js';
import { listRoots } from './root-export.js';

/**
 * Reviews that come round by the calendar. The world's prod gets a review policy; a registry whose
 * clock is set forward then sees each item fall due on the day written out below (from the world's
 * own dates, not from the code's), opens it once, and after it is resolved not again until its next
 * round.
 */
const { fork } = useWorld();
const DAY = 86_400_000;
const REVIEWS = { activeVersionDays: 30, approvalDays: 90, rollbackDrillDays: 60, rootExpiryWarnDays: 30 };

async function at(w: World, t: number): Promise<World> {
  return { ...w, reg: await openRegistry(w.reg.home, { clock: () => new Date(t) }) };
}

async function world(): Promise<{ w: World; start: number; rootExpires: number }> {
  const w = await fork();
  setPolicy(w.reg, w.as.alice, 'prod', { approvals: 1, requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8 }] }], reviews: REVIEWS });
  // The world was built moments ago: activation, approval and environment all date from about now.
  const start = Date.now();
  const rootExpires = Date.parse((await listRoots(w.reg, w.as.aud)).at(-1)!.expiresAt);
  return { w, start, rootExpires };
}

const kinds = (items: { kind: string; overdue: boolean }[]) => items.filter((i) => i.overdue).map((i) => i.kind).sort();

describe('the review calendar', () => {
  it('brings each kind of review round on its day, opens its item once, and restarts the clock when it is resolved', async () => {
    const { w, start, rootExpires } = await world();
    expect(await dueReviews(w.reg, w.as.aud, { withinDays: 14 })).toEqual([]);
    // Within 31 days: the active version's review comes due; nothing is overdue yet.
    expect((await dueReviews(w.reg, w.as.aud, { withinDays: 31 })).map((d) => [d.kind, d.subject, d.overdue])).toEqual([['periodic_review', 'active:prod/churn@1', false]]);

    const day31 = await at(w, start + 31 * DAY);
    expect(kinds(await dueReviews(day31.reg, w.as.aud, { withinDays: 0 }))).toEqual(['periodic_review']);
    const events = countRows(w, 'audit_events');
    const opened = await openDueReviews(day31.reg, w.as.aud);
    expect(opened).toHaveLength(1);
    expect(await openDueReviews(day31.reg, w.as.aud)).toEqual([]);
    expect(countRows(w, 'audit_events') - events).toBe(1);
    expect((await dueReviews(day31.reg, w.as.aud, { withinDays: 0 }))[0]).toMatchObject({ reviewId: opened[0], overdue: true });
    resolveReview(day31.reg, w.as.carol, opened[0]!, 'reviewed: still the right model');

    // Resolved on day 31: due again on day 61, with the rollback drill (day 60).
    const day59 = await at(w, start + 59 * DAY);
    expect(kinds(await dueReviews(day59.reg, w.as.aud, { withinDays: 0 }))).toEqual([]);
    const day62 = await at(w, start + 62 * DAY);
    expect(kinds(await dueReviews(day62.reg, w.as.aud, { withinDays: 0 }))).toEqual(['periodic_review', 'rollback_drill']);
    // The approvals were given at the start: renewal on day 90.
    const day91 = await at(w, start + 91 * DAY);
    expect(kinds(await dueReviews(day91.reg, w.as.aud, { withinDays: 0 }))).toEqual(['approval_renewal', 'periodic_review', 'rollback_drill']);
    expect((await dueReviews(day91.reg, w.as.aud, { withinDays: 0 })).find((d) => d.kind === 'approval_renewal')!.subject).toBe(`promotion:${w.promotionId}`);

    // The root: flagged 30 days before it expires, once; resolving does not bring it back.
    const warn = await at(w, rootExpires - 29 * DAY);
    const flagged = (await dueReviews(warn.reg, w.as.aud, { withinDays: 0 })).find((d) => d.kind === 'root_expiry')!;
    expect(flagged).toMatchObject({ overdue: true, environment: null });
    const before = await at(w, rootExpires - 31 * DAY);
    expect((await dueReviews(before.reg, w.as.aud, { withinDays: 0 })).some((d) => d.kind === 'root_expiry')).toBe(false);
    await openDueReviews(warn.reg, w.as.aud);
    const rootItem = listReviews(warn.reg, w.as.aud).find((r) => r.kind === 'root_expiry')!;
    resolveReview(warn.reg, w.as.alice, rootItem.id, 'new root being proposed');
    expect((await dueReviews(warn.reg, w.as.aud, { withinDays: 0 })).some((d) => d.kind === 'root_expiry')).toBe(false);

    // Every event these wrote holds up under verify.
    expect((await verifyRegistry(warn.reg, w.as.aud, {})).problems).toEqual([]);
  }, 60_000);

  it('is opened by whatever call comes first once it is due, by whoever makes it, even an auditor reading', async () => {
    const { w, start } = await world();
    const later = await at(w, start + 31 * DAY);
    const d = new Dispatcher(later.reg, new Sessions());
    const unlocked = await d.call('session.unlock', { user: 'aud', passphrase: PASSPHRASE });
    const session = (unlocked as { result: { session: string } }).result.session;
    expect(listReviews(later.reg, w.as.aud).filter((r) => r.kind === 'periodic_review')).toEqual([]);
    expect(await d.call('models.list', {}, { session })).toMatchObject({ ok: true });
    expect(listReviews(later.reg, w.as.aud).filter((r) => r.kind === 'periodic_review')).toMatchObject([{ subject: 'active:prod/churn@1', openedBy: 'aud' }]);
    const due = await d.call('reviews.due', { withinDays: 0 }, { session });
    expect(due).toMatchObject({ ok: true, result: [{ kind: 'periodic_review', overdue: true, reviewId: expect.any(Number) }] });
  }, 60_000);

  it('a damaged policy or root file stops no call; asked for, the calendar names the damage', async () => {
    const { w, start } = await world();
    const later = await at(w, start + 31 * DAY);
    later.reg.db.raw.prepare('UPDATE environments SET policy = ? WHERE name = ?').run('{"approvals":', 'prod');
    await writeFile(join(later.reg.home.roots, `${(await listRoots(w.reg, w.as.aud)).at(-1)!.version}.root.json`), 'not a root');
    const d = new Dispatcher(later.reg, new Sessions());
    const unlocked = await d.call('session.unlock', { user: 'aud', passphrase: PASSPHRASE });
    const session = (unlocked as { result: { session: string } }).result.session;
    expect(await d.call('models.list', {}, { session })).toMatchObject({ ok: true });
    expect(await d.call('reviews.due', { withinDays: 0 }, { session })).toMatchObject({ ok: false, error: { code: 'INTEGRITY_FAILED', message: expect.stringContaining('prod') } });
  }, 60_000);

  it('asks nothing of an environment without a review policy', async () => {
    const w = await fork();
    const far = await at(w, Date.now() + 300 * DAY);
    expect(await dueReviews(far.reg, w.as.aud, { withinDays: 30 })).toEqual([]);
    expect(await openDueReviews(far.reg, w.as.aud)).toEqual([]);
  });
});
