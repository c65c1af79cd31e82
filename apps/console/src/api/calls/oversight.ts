import { z } from 'zod';
import { AuditAnchorSchema, AuditHeadSchema } from '@airlock/shared/common';
import { command, job, query } from '../call.js';
import { ComplianceStatementSchema } from '../compliance.js';
import { At, Id, NoInput, ProblemSchema, SourcePath, TargetPath } from '../dto.js';
import { DRIFT_DECISIONS, DUE_KINDS, REVIEW_KINDS, ROLES } from '../enums.js';

export const ReviewSchema = z.strictObject({
  id: Id,
  kind: z.enum(REVIEW_KINDS),
  subject: z.string(),
  detail: z.string(),
  openedAt: At,
  openedBy: z.string().nullable(),
  resolvedAt: At.nullable(),
  resolvedBy: z.string().nullable(),
  note: z.string().nullable(),
});

export const AuditEventSchema = z.strictObject({
  seq: Id,
  at: At,
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  details: z.record(z.string(), z.unknown()),
  hash: z.string(),
});

export const IntegrityReportSchema = z.strictObject({
  ok: z.boolean(),
  blobs: z.strictObject({ checked: z.int(), bytes: z.int() }),
  versions: z.int(),
  auditEvents: z.int(),
  rows: z.int(),
  problems: z.array(ProblemSchema),
  /** blobs no version references (left by an interrupted import): `store.gc` removes them */
  unreferenced: z.array(z.string()),
});

export const UserSchema = z.strictObject({ name: z.string(), roles: z.array(z.enum(ROLES)), keyId: z.string(), createdAt: At, disabled: z.boolean() });

const RoleKeys = z.strictObject({ threshold: z.int(), keyIds: z.array(z.string()) });
export const RootSummarySchema = z.strictObject({ version: z.int(), expiresAt: At, roles: z.strictObject({ root: RoleKeys, release: RoleKeys, approver: RoleKeys }) });

const RoleName = z.enum(['root', 'release', 'approver']);
export const RootDraftSummarySchema = z.strictObject({
  path: z.string(),
  version: z.int(),
  previousVersion: z.int(),
  previousDigest: z.string(),
  expiresAt: At,
  changes: z.array(
    z.strictObject({
      kind: z.enum(['key-added', 'key-removed', 'threshold', 'expiry']),
      role: RoleName.optional(),
      keyid: z.string().optional(),
      from: z.union([z.string(), z.number()]).optional(),
      to: z.union([z.string(), z.number()]).optional(),
    }),
  ),
  previous: z.strictObject({ signed: z.array(z.string()), threshold: z.int() }),
  proposed: z.strictObject({ signed: z.array(z.string()), threshold: z.int() }),
  complete: z.boolean(),
});
const KeySourceSchema = z.union([
  z.strictObject({ role: RoleName, publicKey: z.base64().length(44) }),
  z.strictObject({ role: RoleName, user: z.string().min(1).max(64) }),
]);

/** Anchor files (from `audit.anchor`) whose heads the log must still reach. */
const Anchors = z.strictObject({ anchors: z.array(SourcePath).max(100).default([]) });

export const oversightCalls = {
  'reviews.list': query('Review items: open ones, or all with `all`.', null, z.strictObject({ all: z.boolean().default(false) }), z.array(ReviewSchema)),
  'reviews.resolve': command(
    'Resolve a review item, saying what was done; a rollback is reviewed by someone other than who made it; a drift item needs a decision (accept, retrain, rollback).',
    'review.resolve',
    z.strictObject({ id: Id, note: z.string().min(1).max(4000), decision: z.enum(DRIFT_DECISIONS).optional() }),
    ReviewSchema,
  ),
  'reviews.due': query(
    "What an environment's review policy makes due: active versions to review again, approvals to renew, rollback drills, the root nearing expiry; overdue ones have a review item.",
    null,
    z.strictObject({ withinDays: z.int().min(0).max(3650).default(14), env: z.string().max(64).optional() }),
    z.array(
      z.strictObject({
        kind: z.enum(DUE_KINDS),
        subject: z.string(),
        environment: z.string().nullable(),
        dueAt: At,
        overdue: z.boolean(),
        detail: z.string(),
        reviewId: Id.nullable(),
      }),
    ),
  ),
  'audit.list': query(
    'Audit events, newest first, optionally about one subject, by one person, of one action, in a time range, or before a sequence number.',
    null,
    z.strictObject({
      subject: z.string().max(200).optional(),
      actor: z.string().max(64).optional(),
      action: z.string().max(64).optional(),
      /** ISO time, inclusive */
      since: z.iso.datetime({ offset: true }).optional(),
      /** ISO time, exclusive */
      until: z.iso.datetime({ offset: true }).optional(),
      /** only events before this sequence number: the next page back */
      before: z.int().min(1).optional(),
      limit: z.int().min(1).max(10_000).default(50),
    }),
    z.array(AuditEventSchema),
  ),
  'audit.verify': query(
    "The audit chain (every hash, link, sequence and signature), and its head against every head seen outside it: hosts' reports and the anchors given.",
    null,
    Anchors,
    z.strictObject({ checked: z.int(), head: AuditHeadSchema, problems: z.array(ProblemSchema) }),
  ),
  'audit.anchor': command("Write the log's head, signed by the caller, to a file an auditor keeps apart.", null, z.strictObject({ out: TargetPath }), AuditAnchorSchema),
  'audit.adopt': command(
    'Once, for a registry begun before seals: seal every row as it stands (an admin holding a root key of root v1).',
    null,
    NoInput,
    z.strictObject({ events: z.int(), normalised: z.array(z.string()) }),
  ),
  'registry.verify': job(
    'Re-hash the blob store, recompute every version and signed record, hold every row to its seal and replay every decision.',
    null,
    Anchors,
    IntegrityReportSchema,
  ),
  'store.gc': command(
    'Remove blobs no version references that are older than the given age (left by interrupted imports).',
    'store.gc',
    z.strictObject({ minAgeMinutes: z.int().min(0).default(60) }),
    z.strictObject({ removed: z.int(), bytes: z.int(), keptYoung: z.int(), digests: z.array(z.string()) }),
  ),
  'users.list': query('People, their roles and key ids.', null, NoInput, z.array(UserSchema)),
  'users.add': command(
    "Add a person with their own key, sealed under their passphrase; approvers' and operators' keys join the root of trust's roles.",
    'user.add',
    z.strictObject({ name: z.string().min(1).max(64), roles: z.array(z.enum(ROLES)).min(1), passphrase: z.string().min(1).max(1024) }),
    UserSchema.extend({ rootVersion: z.int().nullable(), pendingRootRoles: z.array(RoleName) }),
  ),
  'users.revoke': command(
    "Someone leaves: disable their account and drop their key from every role of the root of trust (at once when the caller alone may sign the root, else into a ceremony's draft).",
    'user.revoke',
    z.strictObject({ name: z.string().min(1).max(64), reason: z.string().min(1).max(4000), draft: TargetPath.optional() }),
    UserSchema.extend({ rootVersion: z.int().nullable(), draft: z.string().nullable(), rootRoles: z.array(RoleName) }),
  ),
  'compliance.issue': command(
    "Write an environment's compliance report (FILE.html, reproducible, or FILE.pdf through Chromium) and FILE.sig.json, the caller's signature over its digest.",
    null,
    z.strictObject({ environment: z.string().min(1).max(64), since: z.iso.datetime({ offset: true }).optional(), out: TargetPath }),
    ComplianceStatementSchema.extend({ path: z.string(), signature: z.string(), sections: z.array(z.string()), problems: z.int() }),
  ),
  'compliance.verify': query(
    'Check a compliance report against its FILE.sig.json: signed by the key this registry knows for its issuer, and the file unchanged.',
    null,
    z.strictObject({ path: SourcePath }),
    ComplianceStatementSchema.extend({ keyId: z.string(), reproduced: z.boolean() }),
  ),
  'roots.list': query('Every root of trust this registry signed, oldest first.', null, NoInput, z.array(RootSummarySchema)),
  'roots.propose': command(
    'Write the draft of the next root version (keys added to or removed from roles, thresholds, expiry) for the root-key holders to sign; the registry does not change.',
    'root.publish',
    z.strictObject({
      out: TargetPath,
      add: z.array(KeySourceSchema).max(64).default([]),
      remove: z.array(z.union([z.strictObject({ role: RoleName, keyId: z.string().regex(/^[0-9a-f]{64}$/) }), z.strictObject({ role: RoleName, user: z.string().min(1).max(64) })])).max(64).default([]),
      thresholds: z.strictObject({ root: z.int().min(1).max(64).optional(), release: z.int().min(1).max(64).optional(), approver: z.int().min(1).max(64).optional() }).default({}),
      expiresDays: z.int().min(1).max(3650).optional(),
    }),
    RootDraftSummarySchema,
  ),
  'roots.sign': command("Sign a root draft, in place, with the caller's own key (it must be a root key of the old or the new root).", null, z.strictObject({ draft: SourcePath }), RootDraftSummarySchema),
  'roots.publish': command(
    "Make a fully signed draft the registry's newest root: it needs the threshold of the old root's keys and of its own, as hosts check it; bundles carry it to hosts from then on.",
    'root.publish',
    z.strictObject({ draft: SourcePath }),
    RootDraftSummarySchema.extend({ rootPath: z.string() }),
  ),
  'roots.export': command('Write a root of trust (the newest by default) to a file, for hosts to be installed with.', null, z.strictObject({ version: z.int().min(1).optional(), out: TargetPath }), RootSummarySchema.extend({ path: z.string() })),
};
