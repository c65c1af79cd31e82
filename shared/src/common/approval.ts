import { z } from 'zod';
import { sha256Hex, utf8Encode } from './bytes.js';
import { canonicalJson } from './canonical-json.js';
import { DigestSchema, type Digest } from './digest.js';
import { TimestampSchema } from './time.js';

export const APPROVAL_SCHEMA = 'airlock.approval/v1';
export const APPROVAL_PAYLOAD_TYPE = 'application/vnd.airlock.approval+json';

/**
 * An approver's signed decision on a promotion. It names the evidence digest, so any change of the
 * evidence (another evaluation, another config, another version) voids it. Bundles carry these so that
 * hosts can check the approver threshold themselves — and a host binds every field it relies on: an
 * approval counts only for the host's own environment (never the bundle's targets) and only for
 * exactly the slot's model name, version number and digest, so a relabelled version number cannot
 * slip under a security floor, and only with exactly the configuration the approvers saw, so an overlay
 * changed after approval does not ride on it (DESIGN §5, "bind what is checked").
 */
export const ApprovalSchema = z.strictObject({
  schema: z.literal(APPROVAL_SCHEMA),
  promotion: z.int().min(1),
  environment: z.string().min(1),
  model: z.string().min(1),
  version: z.int().min(1),
  versionDigest: DigestSchema,
  /** the digest of the resolved configuration the evidence holds: a host runs the version only with it */
  configDigest: DigestSchema,
  evidenceDigest: DigestSchema,
  /** the approvals the environment's policy required when the promotion was requested: a host requires as many */
  quorum: z.int().min(0).max(10),
  decision: z.enum(['approve', 'reject']),
  approver: z.string().min(1),
  at: TimestampSchema,
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** The digest of a resolved configuration, as approvals name it. */
export const configDigest = (config: Record<string, unknown>): Digest => `sha256:${sha256Hex(utf8Encode(canonicalJson(config)))}`;
