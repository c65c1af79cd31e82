import { z } from 'zod';
import { HostIdSchema } from './report.js';
import { TimestampSchema } from './time.js';

export const HOST_RESET_SCHEMA = 'airlock.host-reset/v1';
export const HOST_RESET_PAYLOAD_TYPE = 'application/vnd.airlock.host-reset+json';

/**
 * The registry's signed word on one host's trust counters, for a host whose counters are lost and whose
 * own audit chain cannot rebuild them. Signed by the release role (the keys hosts already trust for
 * bundles), for one host, once (the id is remembered), before it expires. The values are the registry's
 * knowledge, so they can only be at least what the host had: every sequence the registry ever issued
 * on a channel, every floor it ever shipped to the host's slots, the last report it imported.
 */
export const HostResetSchema = z.strictObject({
  schema: z.literal(HOST_RESET_SCHEMA),
  id: z.string().regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex digits'),
  hostId: HostIdSchema,
  /** channel → the highest bundle sequence the registry issued on it; the host takes only newer ones */
  channels: z.record(z.string(), z.int().min(0)),
  /** slot → the highest security floor the registry shipped for it */
  floors: z.record(z.string(), z.int().min(0)),
  /** the highest report sequence the registry imported from this host; new reports continue after it */
  reportSeq: z.int().min(0),
  reason: z.string().min(1).max(2000),
  issuedBy: z.string().min(1),
  issuedAt: TimestampSchema,
  expiresAt: TimestampSchema,
});
export type HostReset = z.infer<typeof HostResetSchema>;
