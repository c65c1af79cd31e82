import { z } from 'zod';
import { AuditHeadSchema } from './audit-head.js';
import { canonicalJson } from './canonical-json.js';
import { DigestSchema } from './digest.js';
import { utf8Encode } from './bytes.js';
import { EnvelopeSchema, signEnvelope, type Envelope, type Signer } from './dsse.js';
import { HealthSpecSchema, MODEL_KINDS, MonitoringSpecSchema, RuntimeSpecSchema } from './model-spec.js';
import { ComponentSchema, VersionManifestSchema, versionDigest, type VersionManifest } from './version-manifest.js';
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

/**
 * One slot's desired state. `manifest` is the version manifest itself, so that a host recomputes the
 * version's digest (which approvals sign) and holds the files, runtime, health and monitoring it is
 * about to run to that manifest: nobody holding only a release key can run another command under an
 * approved digest. The schema refuses a slot where they differ.
 */
export const SlotSchema = z.strictObject({
  model: z.strictObject({
    name: NameSchema,
    kind: z.enum(MODEL_KINDS),
    version: z.int().min(1),
    digest: DigestSchema,
  }),
  manifest: VersionManifestSchema,
  files: z.array(ComponentSchema).max(BUNDLE_LIMITS.blobs),
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
      for (const problem of slotAgainstManifest(slot)) ctx.addIssue({ code: 'custom', path: ['slots', name], message: problem });
    }
  });

type SlotInput = z.input<typeof SlotSchema>;

/**
 * A slot that runs exactly `manifest` as model version `number`: its files, runtime, health and
 * monitoring come from the manifest, so the slot cannot say anything else.
 */
export function slotOf(manifest: VersionManifest, number: number, rest: Omit<SlotInput, 'model' | 'manifest' | 'files' | 'runtime' | 'health' | 'monitoring'> = {}): SlotInput {
  if (!manifest.runtime || !manifest.health) {
    throw new AirlockError('INVALID_INPUT', `${manifest.model.name} declares no runtime and health spec, so hosts cannot run it.`);
  }
  return {
    model: { name: manifest.model.name, kind: manifest.model.kind, version: number, digest: versionDigest(manifest) },
    manifest,
    files: manifest.components,
    runtime: manifest.runtime,
    health: manifest.health,
    monitoring: manifest.monitoring,
    ...rest,
  };
}

const byPath = <T extends { path: string }>(items: readonly T[]) => [...items].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/** Where a slot departs from the version manifest it carries; empty when it runs exactly that version. */
function slotAgainstManifest(slot: z.infer<typeof SlotSchema>): string[] {
  const m = slot.manifest;
  const problems: string[] = [];
  if (versionDigest(m) !== slot.model.digest) problems.push(`the version manifest hashes to ${versionDigest(m)}, not to the slot's digest ${slot.model.digest}`);
  if (m.model.name !== slot.model.name || m.model.kind !== slot.model.kind) problems.push(`the version manifest is for ${m.model.name} (${m.model.kind}), not ${slot.model.name} (${slot.model.kind})`);
  if (canonicalJson(byPath(m.components)) !== canonicalJson(byPath(slot.files))) problems.push("the slot's files are not the version's components");
  if (canonicalJson(m.runtime ?? null) !== canonicalJson(slot.runtime)) problems.push("the slot's runtime is not the version's");
  if (canonicalJson(m.health ?? null) !== canonicalJson(slot.health)) problems.push("the slot's health spec is not the version's");
  if (canonicalJson(m.monitoring) !== canonicalJson(slot.monitoring)) problems.push("the slot's monitoring is not the version's");
  return problems;
}
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
