import { resolve } from 'node:path';
import { listAudit } from '../../registry/audit.js';
import type { Actor } from '../../registry/auth.js';
import type { Registry } from '../../registry/context.js';
import { adoptRegistry } from '../../registry/services/adopt.js';
import { readAnchor, writeAnchor } from '../../registry/services/audit-anchors.js';
import { verifyAuditLog, verifyRegistry } from '../../registry/services/integrity.js';
import { issueComplianceReport, verifyComplianceReport } from '../../registry/services/compliance/report.js';
import { dueReviews } from '../../registry/services/review-cycle.js';
import { listReviews, resolveReview } from '../../registry/services/reviews.js';
import { currentRoot } from '../../registry/roots.js';
import { proposeRoot, publishRoot, signDraftFile } from '../../registry/services/root-ceremony.js';
import { exportRoot, listRoots } from '../../registry/services/root-export.js';
import { collectGarbage } from '../../registry/services/store-gc.js';
import { addUser, listUsers, revokeUser } from '../../registry/services/users.js';
import type { Handlers } from '../handler.js';

const anchorsFrom = (reg: Registry, actor: Actor, paths: string[]) => Promise.all(paths.map((p) => readAnchor(reg, actor, resolve(p))));

export const oversightHandlers: Handlers<
  | 'reviews.list'
  | 'reviews.resolve'
  | 'reviews.due'
  | 'audit.list'
  | 'audit.verify'
  | 'audit.anchor'
  | 'audit.adopt'
  | 'registry.verify'
  | 'store.gc'
  | 'users.list'
  | 'users.add'
  | 'users.revoke'
  | 'compliance.issue'
  | 'compliance.verify'
  | 'roots.list'
  | 'roots.export'
  | 'roots.propose'
  | 'roots.sign'
  | 'roots.publish'
> = {
  'reviews.list': ({ reg, actor }, { all }) => listReviews(reg, actor, { all }),
  'reviews.resolve': ({ reg, actor }, { id, note, decision }) => resolveReview(reg, actor, id, note, decision),
  'reviews.due': ({ reg, actor }, { withinDays, env }) => dueReviews(reg, actor, { withinDays, ...(env ? { env } : {}) }),
  'audit.list': ({ reg }, filter) => listAudit(reg, filter),
  'audit.verify': async ({ reg, actor }, { anchors }) => verifyAuditLog(reg, actor, await anchorsFrom(reg, actor, anchors)),
  'audit.anchor': ({ reg, actor }, { out }) => writeAnchor(reg, actor, resolve(out)),
  'audit.adopt': ({ reg, actor }) => adoptRegistry(reg, actor),
  'registry.verify': async ({ reg, actor, progress, signal }, { anchors }) =>
    verifyRegistry(reg, actor, {
      signal,
      anchors: await anchorsFrom(reg, actor, anchors),
      onProgress: (phase, done, total) => progress({ phase, done, total, unit: phase === 'blobs' ? 'items' : 'events' }),
    }),
  'store.gc': ({ reg, actor }, { minAgeMinutes }) => collectGarbage(reg, actor, { minAgeMs: minAgeMinutes * 60_000 }),
  'users.list': ({ reg, actor }) => listUsers(reg, actor),
  'users.add': ({ reg, actor }, input) => addUser(reg, actor, input),
  'users.revoke': ({ reg, actor }, { name, reason, draft }) => revokeUser(reg, actor, { name, reason, ...(draft ? { draft: resolve(draft) } : {}) }),
  'compliance.issue': ({ reg, actor }, { environment, since, out }) => issueComplianceReport(reg, actor, { env: environment, ...(since ? { since } : {}), out: resolve(out) }),
  'compliance.verify': ({ reg, actor }, { path }) => verifyComplianceReport(reg, actor, { path: resolve(path) }),
  'roots.list': ({ reg, actor }) => listRoots(reg, actor),
  'roots.propose': ({ reg, actor }, input) => proposeRoot(reg, actor, { ...input, out: resolve(input.out) }),
  'roots.sign': async ({ reg, actor }, { draft }) => signDraftFile(resolve(draft), actor.signer, (await currentRoot(reg.home)).root),
  'roots.publish': ({ reg, actor }, { draft }) => publishRoot(reg, actor, { draft: resolve(draft) }),
  'roots.export': ({ reg, actor }, { version, out }) => exportRoot(reg, actor, { ...(version !== undefined ? { version } : {}), out: resolve(out) }),
};
