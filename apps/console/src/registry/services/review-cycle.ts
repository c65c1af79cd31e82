import { join } from 'node:path';
import { readdir } from 'node:fs/promises';
import { toTimestamp } from '@airlock/shared/common';
import { readRootFile } from '@airlock/shared/node';
import type { Actor, SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { storedPolicy } from '../policy.js';
import { activations } from '../repos/activations.js';
import { approvals } from '../repos/approvals.js';
import { environments } from '../repos/environments.js';
import { reviews } from '../repos/reviews.js';
import type { DueKind } from '../../api/enums.js';

const DAY = 86_400_000;

export interface DueItem {
  kind: DueKind;
  subject: string;
  /** the environment whose policy sets the interval; null for the root, which all share */
  environment: string | null;
  dueAt: string;
  overdue: boolean;
  detail: string;
  /** the open review item for it, if one is open */
  reviewId: number | null;
}

const day = (iso: string) => iso.slice(0, 10);

/**
 * When a calendar review comes round again: the interval after the later of its start and the last
 * time an item about it was resolved. A resolved item restarts the clock; an open one keeps it due.
 */
function nextDue(reg: Registry, kind: DueKind, subject: string, since: string, days: number): number {
  const last = reviews.latestFor(reg.db, kind, subject);
  const base = last?.resolved_at && last.resolved_at > since ? last.resolved_at : since;
  return Date.parse(base) + days * DAY;
}

/** The newest root's expiry, read from its file (checked to be self-signed). */
async function newestRootExpiry(reg: Registry): Promise<{ version: number; expiresAt: string } | null> {
  const versions = (await readdir(reg.home.roots).catch(() => [] as string[])).map((n) => /^([1-9][0-9]*)\.root\.json$/.exec(n)?.[1]).filter((v): v is string => v !== undefined);
  if (versions.length === 0) return null;
  const newest = Math.max(...versions.map(Number));
  const { root } = await readRootFile(join(reg.home.roots, `${newest}.root.json`));
  return { version: root.version, expiresAt: root.expiresAt };
}

/**
 * Everything an environment's `reviews` policy makes due by `horizonMs`: active versions to review
 * again, approvals to renew, rollback drills, and the root of trust nearing its expiry. Computed from
 * the registry each time, never stored, so nothing can be marked done except by resolving its item.
 */
export async function dueReviews(reg: Registry, _actor: Actor, opts: { withinDays: number; env?: string; lenient?: boolean }): Promise<DueItem[]> {
  // Asked for, damage is an answer (INTEGRITY_FAILED naming it); opened on the side of every call, an
  // environment whose policy or a root whose file is damaged is passed over, so it cannot stop the
  // registry's work (`verify` and `review due` still name it).
  const leniently = <T,>(read: () => T | Promise<T>): Promise<T | null> => Promise.resolve().then(read).catch((err: unknown) => {
    if (opts.lenient) return null;
    throw err;
  });
  const now = Date.parse(reg.now());
  const horizon = now + opts.withinDays * DAY;
  const items: DueItem[] = [];
  const add = (kind: DueKind, subject: string, environment: string | null, dueMs: number, detail: string) => {
    if (dueMs > horizon) return;
    const open = reviews.openFor(reg.db, kind, subject);
    items.push({ kind, subject, environment, dueAt: toTimestamp(dueMs), overdue: dueMs <= now, detail, reviewId: open?.id ?? null });
  };
  const envs = environments.list(reg.db).filter((e) => !opts.env || e.name === opts.env);
  const policies = new Map<string, NonNullable<ReturnType<typeof storedPolicy>['reviews']>>();
  for (const e of envs) {
    const policy = await leniently(() => storedPolicy(e));
    if (policy) policies.set(e.name, policy.reviews ?? {});
  }
  for (const a of activations.open(reg.db)) {
    const policy = policies.get(a.environment);
    if (!policy) continue;
    const ref = `${a.model}@${a.number}`;
    if (policy.activeVersionDays) {
      const subject = `active:${a.environment}/${ref}`;
      const due = nextDue(reg, 'periodic_review', subject, a.activated_at, policy.activeVersionDays);
      add('periodic_review', subject, a.environment, due, `${ref} has been active in ${a.environment} since ${day(a.activated_at)}; it is reviewed every ${policy.activeVersionDays} days.`);
    }
    if (policy.approvalDays) {
      const given = approvals.of(reg.db, a.promotion_id).filter((x) => x.decision === 'approve').map((x) => x.at).sort().at(-1);
      if (given) {
        const subject = `promotion:${a.promotion_id}`;
        const due = nextDue(reg, 'approval_renewal', subject, given, policy.approvalDays);
        add('approval_renewal', subject, a.environment, due, `The approvals behind ${ref} in ${a.environment} were given on ${day(given)}; they are renewed every ${policy.approvalDays} days.`);
      }
    }
  }
  for (const env of envs) {
    const days = policies.get(env.name)?.rollbackDrillDays;
    if (!days) continue;
    const subject = `env:${env.name}`;
    add('rollback_drill', subject, env.name, nextDue(reg, 'rollback_drill', subject, env.created_at, days), `${env.name} drills a rollback every ${days} days (\`airlock rollback\` to the previous version and forward again, on real hosts).`);
  }
  const warn = Math.max(0, ...[...policies.values()].map((p) => p.rootExpiryWarnDays ?? 0));
  const root = warn > 0 ? await leniently(() => newestRootExpiry(reg)) : null;
  if (root) {
    const subject = `root:${root.version}`;
    // A root's expiry does not move when its item is resolved: once flagged, it is not flagged again.
    const flagged = reviews.latestFor(reg.db, 'root_expiry', subject);
    if (!flagged?.resolved_at) add('root_expiry', subject, null, Date.parse(root.expiresAt) - warn * DAY, `Root version ${root.version} expires on ${day(root.expiresAt)}; hosts refuse everything after that. Publish a new root (\`airlock root propose\`) before then.`);
  }
  return items.sort((x, y) => x.dueAt.localeCompare(y.dueAt) || x.subject.localeCompare(y.subject));
}

/**
 * Opens a review item, once, for everything overdue that has none open, in one audited change signed
 * by whoever's call found it. Runs before every call, so the queue is current whoever looks.
 */
export async function openDueReviews(reg: Registry, actor: SigningActor): Promise<number[]> {
  const due = (await dueReviews(reg, actor, { withinDays: 0, lenient: true })).filter((d) => d.overdue && d.reviewId === null);
  if (due.length === 0) return [];
  return mutate(reg, actor, 'review.due', () => {
    const now = reg.now();
    const ids = due.filter((d) => !reviews.openFor(reg.db, d.kind, d.subject)).map((d) => reviews.open(reg.db, { kind: d.kind, subject: d.subject, detail: d.detail, opened_at: now, opened_by: actor.user.id }));
    return { result: ids, audit: ids.length > 0 ? { action: 'review.due', subject: 'reviews', details: { opened: due.map((d) => ({ kind: d.kind, subject: d.subject, dueAt: d.dueAt })) } } : null };
  });
}
