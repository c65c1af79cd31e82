import { z } from 'zod';
import { DigestSchema } from './digest.js';
import { TimestampSchema } from './time.js';

export const ROLLBACK_AUTHORISATION_SCHEMA = 'airlock.rollback-authorisation/v1';
export const ROLLBACK_AUTHORISATION_PAYLOAD_TYPE = 'application/vnd.airlock.rollback-authorisation+json';

/**
 * Approvers' signed permission for hosts to go back to one exact model version below a slot's security
 * floor. Floors only ever rise, so without it a host refuses such a rollback; with it, a host accepts
 * it once (the id is remembered) and only before it expires.
 */
export const RollbackAuthorisationSchema = z.strictObject({
  schema: z.literal(ROLLBACK_AUTHORISATION_SCHEMA),
  id: z.string().regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex digits'),
  targets: z
    .strictObject({ hosts: z.array(z.string().min(1)).max(10_000), environment: z.string().min(1).optional() })
    .refine((t) => t.hosts.length > 0 || t.environment !== undefined, 'name hosts or an environment'),
  slot: z.string().min(1),
  model: z.string().min(1),
  version: z.int().min(1),
  versionDigest: DigestSchema,
  reason: z.string().min(1).max(2000),
  issuedBy: z.string().min(1),
  issuedAt: TimestampSchema,
  expiresAt: TimestampSchema,
});
export type RollbackAuthorisation = z.infer<typeof RollbackAuthorisationSchema>;
