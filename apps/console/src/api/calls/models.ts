import { z } from 'zod';
import { VersionManifestSchema } from '@airlock/shared/common';
import { command, job, query } from '../call.js';
import { At, Digest, Id, Json, Metrics, Name, Ref, SourcePath } from '../dto.js';
import { EVALUATION_SOURCES, MODEL_KINDS, VERSION_STATES } from '../enums.js';

export const ModelSummarySchema = z.strictObject({
  name: z.string(),
  kind: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  versions: z.int(),
  latest: z.int().nullable(),
});

export const VERSION_SORTS = ['model', 'number', 'kind', 'tags', 'state', 'created', 'active'] as const;

export const VersionListItemSchema = z.strictObject({
  ref: z.string(),
  model: z.string(),
  number: z.int(),
  kind: z.string(),
  state: z.enum(VERSION_STATES),
  flag: z.string().nullable(),
  digest: Digest,
  createdAt: At,
  tags: z.array(z.string()),
  /** the environments where this version is active now */
  active: z.array(z.string()),
});

export const EvaluationSchema = z.strictObject({
  id: Id,
  suite: z.string(),
  metrics: Metrics,
  source: z.enum(EVALUATION_SOURCES),
  recordedAt: At,
});

export const VersionDetailSchema = z.strictObject({
  ref: z.string(),
  number: z.int(),
  digest: Digest,
  state: z.enum(VERSION_STATES),
  flag: z.string().nullable(),
  createdAt: At,
  createdBy: z.string(),
  manifest: VersionManifestSchema,
  evaluations: z.array(EvaluationSchema),
  /** each governed dependency with the registry's version of it, if it holds one, and that version's state (revoked ones block promotion) */
  dependencies: z.array(z.strictObject({ kind: z.string(), digest: Digest, ref: z.string().nullable(), state: z.enum(VERSION_STATES).nullable() })),
});

/** Where a version is active: environment, version number and digest, since when. */
export const ActiveSchema = z.strictObject({ environment: z.string(), model: z.string(), number: z.int(), digest: Digest, activatedAt: At });

export const ModelShownSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('model'),
    model: z.strictObject({ name: z.string(), kind: z.string(), description: z.string(), tags: z.array(z.string()), createdAt: At }),
    versions: z.array(z.strictObject({ number: z.int(), digest: Digest, state: z.enum(VERSION_STATES), flag: z.string().nullable(), createdAt: At })),
    active: z.array(ActiveSchema),
  }),
  z.strictObject({ kind: z.literal('version'), version: VersionDetailSchema }),
]);

const ChangeSchema = z.strictObject({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.strictObject({ key: z.string(), from: Json, to: Json })),
});

export const RecordedEvaluationSchema = z.strictObject({
  id: Id,
  version: z.string(),
  digest: Digest,
  suite: z.string(),
  metrics: Metrics,
  resultsDigest: Digest,
  source: z.enum(EVALUATION_SOURCES),
  recordedBy: z.string(),
});

export const modelCalls = {
  'models.list': query(
    'Models, optionally by name prefix or tag.',
    null,
    z.strictObject({ prefix: z.string().max(128).optional(), tag: z.string().max(64).optional(), limit: z.int().min(1).max(100_000).default(1000) }),
    z.array(ModelSummarySchema),
  ),
  'versions.list': query(
    'Every version of every model, a page at a time: filtered by text (name or tag), tag, kind, state or being active, sorted by a column.',
    null,
    z.strictObject({
      text: z.string().max(128).optional(),
      tag: z.string().max(64).optional(),
      kind: z.enum(MODEL_KINDS).optional(),
      state: z.enum(VERSION_STATES).optional(),
      active: z.boolean().optional(),
      sort: z.enum(VERSION_SORTS).default('model'),
      descending: z.boolean().default(false),
      offset: z.int().min(0).default(0),
      limit: z.int().min(1).max(500).default(100),
    }),
    z.strictObject({ total: z.int(), offset: z.int(), rows: z.array(VersionListItemSchema) }),
  ),
  'models.show': query('A model (NAME) with its versions and where each is active, or one version in full (NAME@N).', null, z.strictObject({ ref: Ref }), ModelShownSchema),
  'models.import': job(
    'Import a file or folder as a new version, streaming it into the blob store; identical content returns the version that has it.',
    'model.import',
    z.strictObject({ path: SourcePath, model: Name, kind: z.enum(MODEL_KINDS).optional(), manifestPath: SourcePath.optional() }),
    z.strictObject({ created: z.boolean(), ref: z.string(), digest: Digest, state: z.enum(VERSION_STATES), assumed: z.array(z.string()) }),
  ),
  'models.inspect': query(
    'What importing a file or folder would hold, checked as the import checks it (the same refusals), before anything is stored.',
    'model.import',
    z.strictObject({ path: SourcePath, model: Name, kind: z.enum(MODEL_KINDS).optional(), manifestPath: SourcePath.optional() }),
    z.strictObject({
      declared: z.boolean(),
      kind: z.string(),
      description: z.string(),
      tags: z.array(z.string()),
      files: z.array(z.strictObject({ path: z.string(), role: z.string(), size: z.int() })),
      bytes: z.int(),
      suites: z.array(z.string()),
      deployable: z.boolean(),
      assumed: z.array(z.string()),
    }),
  ),
  'models.annotate': command(
    "Change a model's description or tags.",
    'model.annotate',
    z.strictObject({ name: Name, description: z.string().max(4096).optional(), addTags: z.array(z.string()).default([]), removeTags: z.array(z.string()).default([]) }),
    z.strictObject({ name: z.string(), tags: z.array(z.string()) }),
  ),
  'versions.diff': query(
    'What changed from one version to another: components, config schema and defaults, dependencies, metrics, and every other manifest field (runtime, health, monitoring…).',
    null,
    z.strictObject({ from: Ref, to: Ref }),
    z.strictObject({ from: z.string(), to: z.string(), components: ChangeSchema, configSchema: ChangeSchema, configDefaults: ChangeSchema, dependencies: ChangeSchema, metrics: ChangeSchema, manifest: ChangeSchema }),
  ),
  'versions.transition': command(
    "Move a version through its lifecycle (validate, deprecate, retire, quarantine, lift a quarantine, revoke); the registry checks the move and the caller's role for it.",
    null,
    z.strictObject({ ref: Ref, to: z.enum(VERSION_STATES), reason: z.string().max(2000).default('') }),
    z.strictObject({ ref: z.string(), from: z.enum(VERSION_STATES), to: z.enum(VERSION_STATES), flaggedDependents: z.array(z.string()) }),
  ),
  'evaluations.run': job('Run the suite a version declares and record its metrics as executed results.', 'eval.record', z.strictObject({ ref: Ref, suite: Name }), RecordedEvaluationSchema),
  'evaluations.history': query(
    "Every evaluation recorded for a model's versions, oldest version first: the history a chart draws.",
    null,
    z.strictObject({ model: Name }),
    z.array(EvaluationSchema.extend({ version: z.int() })),
  ),
  'evaluations.record': command('Record results of a suite run elsewhere, as reported results.', 'eval.record', z.strictObject({ ref: Ref, suite: Name, results: Json }), RecordedEvaluationSchema),
};
