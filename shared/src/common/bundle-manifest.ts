import { z } from 'zod';
import { AuditHeadSchema } from './audit-head.js';
import { DigestSchema, SafeRelativePathSchema } from './digest.js';
import { utf8Encode } from './bytes.js';
import { EnvelopeSchema, signEnvelope, type Envelope, type Signer } from './dsse.js';
import { AirlockError } from './errors.js';
import { TimestampSchema } from './time.js';
import { parseVersionedJson } from './versioned-json.js';

export const BUNDLE_SCHEMA = 'airlock.bundle/v1';
export const BUNDLE_PAYLOAD_TYPE = 'application/vnd.airlock.bundle+json';

/** Limits checked before anything in a bundle is parsed. */
export const BUNDLE_LIMITS = {
  manifestBytes: 4 * 1024 * 1024,
  rootBytes: 256 * 1024,
  roots: 64,
  blobs: 100_000,
} as const;

const NameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a name is 1–63 lower-case letters, digits or ._- starting with a letter or digit');

export const MODEL_KINDS = ['classic', 'llm', 'embedding', 'adapter', 'vision', 'speech', 'other'] as const;
export const COMPONENT_ROLES = [
  'weights', 'adapter', 'tokenizer', 'chat_template', 'prompt_template', 'config',
  'preprocessor', 'code', 'docs', 'eval_report', 'sbom', 'other',
] as const;

export const BundleFileSchema = z.strictObject({
  path: SafeRelativePathSchema,
  digest: DigestSchema,
  size: z.int().min(0),
  role: z.enum(COMPONENT_ROLES),
});

export const RuntimeSpecSchema = z.strictObject({
  command: z.string().min(1).max(1024),
  args: z.array(z.string().max(4096)).max(256).default([]),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), z.string().max(4096)).default({}),
  cwd: SafeRelativePathSchema.optional(),
  port: z.int().min(1).max(65535),
  strategy: z.enum(['blue-green', 'stop-start']).default('blue-green'),
  stopTimeoutMs: z.int().min(0).default(10_000),
});

export const GoldenRequestSchema = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT']).default('POST'),
  path: z.string().startsWith('/').max(1024),
  body: z.unknown().optional(),
  expectStatus: z.int().min(100).max(599).default(200),
  /** every key given here must appear in the JSON response with an equal value */
  expectJson: z.record(z.string(), z.unknown()).optional(),
});

export const HealthSpecSchema = z.strictObject({
  path: z.string().startsWith('/').max(1024).default('/healthz'),
  startTimeoutMs: z.int().min(100).default(30_000),
  intervalMs: z.int().min(10).default(250),
  golden: z.array(GoldenRequestSchema).max(64).default([]),
  probationMs: z.int().min(0).default(60_000),
  /** share of failed requests during probation that triggers rollback */
  errorBudget: z.number().min(0).max(1).default(0.05),
});

export const MonitoringSpecSchema = z.strictObject({
  referenceProfile: DigestSchema.optional(),
  features: z
    .array(z.strictObject({ name: z.string().min(1).max(128), pointer: z.string().max(1024), type: z.enum(['numeric', 'categorical', 'length']) }))
    .max(256)
    .default([]),
});

export const SlotSchema = z.strictObject({
  model: z.strictObject({
    name: NameSchema,
    kind: z.enum(MODEL_KINDS),
    version: z.int().min(1),
    digest: DigestSchema,
  }),
  files: z.array(BundleFileSchema).max(BUNDLE_LIMITS.blobs),
  config: z.record(z.string(), z.unknown()).default({}),
  secrets: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).default([]),
  runtime: RuntimeSpecSchema,
  health: HealthSpecSchema,
  monitoring: MonitoringSpecSchema.default({ features: [] }),
  approvals: z.array(EnvelopeSchema).default([]),
  /** the lowest model version this slot may run; a downgrade below it needs a signed authorisation */
  securityFloor: z.int().min(0).default(0),
});

export const BundleBlobSchema = z.strictObject({
  digest: DigestSchema,
  size: z.int().min(0),
  /** false: a delta bundle omits the blob because every target already holds it */
  included: z.boolean(),
});

export const BundleManifestSchema = z
  .strictObject({
    schema: z.literal(BUNDLE_SCHEMA),
    bundleId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
    channel: NameSchema,
    sequence: z.int().min(1),
    issuedAt: TimestampSchema,
    expiresAt: TimestampSchema,
    targets: z
      .strictObject({ environment: NameSchema.optional(), hosts: z.array(z.string().min(1).max(128)).default([]) })
      .refine((t) => t.environment !== undefined || t.hosts.length > 0, 'a bundle targets an environment or named hosts'),
    slots: z.record(NameSchema, SlotSchema),
    blobs: z.array(BundleBlobSchema).max(BUNDLE_LIMITS.blobs),
    /** the registry's audit head when it signed this bundle; hosts keep the newest and report it back */
    auditHead: AuditHeadSchema.optional(),
  })
  .superRefine((m, ctx) => {
    if (Date.parse(m.expiresAt) <= Date.parse(m.issuedAt)) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'expiresAt must be after issuedAt' });
    }
    const blobs = new Set<string>();
    for (const b of m.blobs) {
      if (blobs.has(b.digest)) ctx.addIssue({ code: 'custom', path: ['blobs'], message: `blob ${b.digest} listed twice` });
      blobs.add(b.digest);
    }
    for (const [name, slot] of Object.entries(m.slots)) {
      for (const f of slot.files) {
        if (!blobs.has(f.digest)) ctx.addIssue({ code: 'custom', path: ['slots', name, 'files'], message: `file ${f.path} has no blob entry` });
      }
      if (new Set(slot.files.map((f) => f.path)).size !== slot.files.length) {
        ctx.addIssue({ code: 'custom', path: ['slots', name, 'files'], message: 'file paths must be distinct' });
      }
    }
  });
export type BundleManifest = z.infer<typeof BundleManifestSchema>;
export type BundleManifestInput = z.input<typeof BundleManifestSchema>;
export type BundleSlot = z.infer<typeof SlotSchema>;

export const parseBundleManifest = (payload: Uint8Array): BundleManifest =>
  parseVersionedJson(payload, {
    schemaId: BUNDLE_SCHEMA,
    schema: BundleManifestSchema,
    what: 'bundle manifest',
    invalid: 'BUNDLE_MANIFEST_INVALID',
    unsupported: 'BUNDLE_SCHEMA_UNSUPPORTED',
  });

/** Validates a manifest (filling defaults) and signs it with release keys. */
export function signBundleManifest(input: BundleManifestInput, signers: readonly Signer[]): { envelope: Envelope; manifest: BundleManifest } {
  const parsed = BundleManifestSchema.safeParse(input);
  if (!parsed.success) throw new AirlockError('INVALID_INPUT', `The bundle manifest is invalid: ${z.prettifyError(parsed.error)}`);
  return { envelope: signEnvelope(BUNDLE_PAYLOAD_TYPE, utf8Encode(JSON.stringify(parsed.data)), signers), manifest: parsed.data };
}
