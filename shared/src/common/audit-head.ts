import { z } from 'zod';
import { KeyIdSchema } from './dsse.js';
import { TimestampSchema } from './time.js';

/**
 * The newest event of the registry's audit chain: its sequence number and hash. A head held outside
 * the registry — in a signed bundle on a host, in a host's signed report, in an auditor's anchor file —
 * proves that the chain reached at least that far, so a registry whose tail was cut off cannot pass
 * for intact (DESIGN §4.4).
 */
export const AuditHeadSchema = z.strictObject({
  seq: z.int().min(0),
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'an audit hash is 64 lower-case hex digits'),
});
export type AuditHead = z.infer<typeof AuditHeadSchema>;

export const AUDIT_ANCHOR_SCHEMA = 'airlock.audit-anchor/v1';
export const AUDIT_ANCHOR_PAYLOAD_TYPE = 'application/vnd.airlock.audit-anchor+json';

/** `airlock audit anchor`: a head signed by the user who took it, for an auditor to keep on media. */
export const AuditAnchorSchema = z.strictObject({
  schema: z.literal(AUDIT_ANCHOR_SCHEMA),
  head: AuditHeadSchema,
  at: TimestampSchema,
  by: z.string().min(1).max(64),
  keyId: KeyIdSchema,
});
export type AuditAnchor = z.infer<typeof AuditAnchorSchema>;

/** The newer of two heads (by sequence); a head only ever moves forward. */
export const newerHead = (a: AuditHead | null | undefined, b: AuditHead | null | undefined): AuditHead | null =>
  !a ? (b ?? null) : !b ? a : b.seq > a.seq ? b : a;
