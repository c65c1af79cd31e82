import { z } from 'zod';
import { AuditHeadSchema } from './audit-head.js';
import { DigestSchema } from './digest.js';
import { SlotDriftSchema } from './drift/summary.js';
import { TimestampSchema } from './time.js';

/** What travels back from hosts: DSSE envelopes signed by the host key, one document each. */
export const REPORT_SCHEMA = 'airlock.report/v1';
export const REPORT_PAYLOAD_TYPE = 'application/vnd.airlock.report+json';
export const ENROLLMENT_SCHEMA = 'airlock.enrollment/v1';
export const ENROLLMENT_PAYLOAD_TYPE = 'application/vnd.airlock.enrollment+json';

export const HostIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a host id is 1–63 lower-case letters, digits or ._- starting with a letter or digit');

export const EnrollmentSchema = z.strictObject({
  schema: z.literal(ENROLLMENT_SCHEMA),
  hostId: HostIdSchema,
  publicKey: z.base64(),
  labels: z.record(z.string(), z.string()),
  facts: z.strictObject({
    os: z.string(),
    arch: z.string(),
    cpus: z.int().min(1),
    memoryBytes: z.int().min(0),
    node: z.string(),
    agent: z.string(),
    /** the slots this host's configuration declares: a deployment for another slot is refused before it travels */
    slots: z.array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/)).max(256).optional(),
  }),
  at: TimestampSchema,
});
export type Enrollment = z.infer<typeof EnrollmentSchema>;

export const RECEIPT_OUTCOMES = ['applied', 'refused', 'rolled_back'] as const;

export const ReceiptSchema = z.strictObject({
  bundleId: z.string(),
  channel: z.string().optional(),
  sequence: z.int().optional(),
  outcome: z.enum(RECEIPT_OUTCOMES),
  code: z.string().optional(),
  message: z.string().optional(),
  slots: z.array(z.strictObject({ slot: z.string(), model: z.string(), version: z.int(), digest: DigestSchema })).default([]),
  timings: z.record(z.string(), z.number()).default({}),
});

/** What an LLM runtime said about its work (OpenAI-style `usage` and `finish_reason`), since the agent started. */
export const LlmUsageSchema = z.strictObject({
  answers: z.int().min(0),
  promptTokens: z.int().min(0),
  completionTokens: z.int().min(0),
  finishReasons: z.record(z.string(), z.int().min(0)),
  timePerOutputTokenMs: z.strictObject({ p50: z.number().nullable(), p95: z.number().nullable() }),
});
export type LlmUsage = z.infer<typeof LlmUsageSchema>;

export const SlotStatusSchema = z.strictObject({
  slot: z.string(),
  model: z.string().nullable(),
  version: z.int().nullable(),
  digest: DigestSchema.nullable(),
  release: z.string().nullable(),
  healthy: z.boolean(),
  state: z.string(),
  releases: z.array(z.string()),
  /** the lowest model version the slot accepts without a rollback authorisation */
  securityFloor: z.int().min(0).default(0),
  requests: z.record(z.string(), z.number()),
  latencyMs: z.strictObject({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
  /** for an LLM release: tokens, finish reasons and time per output token of the version served now */
  llm: LlmUsageSchema.optional(),
});

export const StatusSchema = z.strictObject({
  slots: z.array(SlotStatusSchema),
  rootVersion: z.int(),
  highWater: TimestampSchema.nullable(),
  channels: z.record(z.string(), z.int()),
  blobs: z.strictObject({ count: z.int(), digests: z.array(DigestSchema) }),
  uptimeSeconds: z.number(),
  /** the newest registry audit head this host saw in a signed bundle: proof of how far the registry's log reached */
  auditHead: AuditHeadSchema.nullable().default(null),
  /** conditions an operator must look at although the host still serves (a damaged audit chain, a slot on a fallback release) */
  alerts: z.array(z.strictObject({ code: z.string(), message: z.string(), slot: z.string().optional() })).max(100).default([]),
  /** per slot and served version, the drift windows the tap closed most recently */
  drift: z.array(SlotDriftSchema).max(256).default([]),
});

export const AuditTailSchema = z.strictObject({
  events: z.array(z.strictObject({ seq: z.int(), at: TimestampSchema, action: z.string(), detail: z.record(z.string(), z.unknown()), prev: z.string(), hash: z.string() })),
});

export const ReportSchema = z.discriminatedUnion('kind', [
  z.strictObject({ schema: z.literal(REPORT_SCHEMA), kind: z.literal('receipt'), hostId: HostIdSchema, seq: z.int().min(1), at: TimestampSchema, body: ReceiptSchema }),
  z.strictObject({ schema: z.literal(REPORT_SCHEMA), kind: z.literal('status'), hostId: HostIdSchema, seq: z.int().min(1), at: TimestampSchema, body: StatusSchema }),
  z.strictObject({ schema: z.literal(REPORT_SCHEMA), kind: z.literal('audit'), hostId: HostIdSchema, seq: z.int().min(1), at: TimestampSchema, body: AuditTailSchema }),
]);
export type Report = z.infer<typeof ReportSchema>;
export type Receipt = z.infer<typeof ReceiptSchema>;
export type HostStatus = z.infer<typeof StatusSchema>;
