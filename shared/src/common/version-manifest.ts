import { z } from 'zod';
import { COMPONENT_ROLES, HealthSpecSchema, MODEL_KINDS, MonitoringSpecSchema, RuntimeSpecSchema } from './model-spec.js';
import { canonicalJson } from './canonical-json.js';
import { sha256Hex, utf8Encode } from './bytes.js';
import { DigestSchema, SafeRelativePathSchema, type Digest } from './digest.js';

export const VERSION_SCHEMA = 'airlock.version/v1';
export const MODEL_FILE_SCHEMA = 'airlock.model/v1';

/** Free text in a manifest: never empty, never unbounded. */
export const text = (max: number) => z.string().min(1).max(max);

/** `airlock-model.json` is read whole before it is parsed: larger files are refused unread. */
export const MODEL_FILE_MAX_BYTES = 1024 * 1024;

export const ModelNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a model name is 1–63 lower-case letters, digits or ._- starting with a letter or digit');

export const ComponentSchema = z.strictObject({
  role: z.enum(COMPONENT_ROLES),
  path: SafeRelativePathSchema,
  digest: DigestSchema,
  size: z.int().min(0),
});
export type Component = z.infer<typeof ComponentSchema>;

export const DependenciesSchema = z.strictObject({
  runtime: z.strictObject({ name: text(128), version: text(128) }).optional(),
  /** digest of the base model version this one builds on (adapters, fine-tunes) */
  baseModel: DigestSchema.optional(),
  tokenizer: text(256).optional(),
  datasets: z.array(z.strictObject({ name: text(256), digest: DigestSchema })).max(1000).default([]),
  packageLock: DigestSchema.optional(),
});

export const LineageSchema = z.strictObject({
  source: text(2048).optional(),
  trainingRun: text(512).optional(),
  dataDigests: z.array(DigestSchema).max(1000).default([]),
});

export const EvalSuiteSchema = z.strictObject({
  command: text(1024),
  args: z.array(z.string().max(4096)).max(256).default([]),
  timeoutMs: z.int().min(100).max(24 * 3600 * 1000).default(600_000),
});

/** JSON Schema for the version's configuration, and the defaults environments overlay. */
export const ConfigSpecSchema = z.strictObject({
  schema: z.record(z.string(), z.unknown()).default({ type: 'object' }),
  defaults: z.record(z.string(), z.unknown()).default({}),
});

const ManifestBody = {
  io: z.strictObject({ inputs: z.record(z.string(), z.unknown()).default({}), outputs: z.record(z.string(), z.unknown()).default({}) }).default({ inputs: {}, outputs: {} }),
  config: ConfigSpecSchema.default({ schema: { type: 'object' }, defaults: {} }),
  dependencies: DependenciesSchema.default({ datasets: [] }),
  lineage: LineageSchema.default({ dataDigests: [] }),
  licence: text(1024).optional(),
  monitoring: MonitoringSpecSchema.default({ features: [] }),
  runtime: RuntimeSpecSchema.optional(),
  health: HealthSpecSchema.optional(),
  evaluation: z.strictObject({ suites: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/), EvalSuiteSchema).default({}) }).default({ suites: {} }),
};

/**
 * `airlock-model.json`: what a model author declares beside the files. Components are computed from
 * the files; `roles` only says which role a path plays when the file name does not make it obvious.
 */
export const ModelFileSchema = z.strictObject({
  schema: z.literal(MODEL_FILE_SCHEMA).default(MODEL_FILE_SCHEMA),
  kind: z.enum(MODEL_KINDS).optional(),
  description: z.string().max(10_000).optional(),
  tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,62}$/)).max(64).default([]),
  roles: z.record(SafeRelativePathSchema, z.enum(COMPONENT_ROLES)).default({}),
  ...ManifestBody,
});
export type ModelFile = z.infer<typeof ModelFileSchema>;
export type ModelFileInput = z.input<typeof ModelFileSchema>;

/** The immutable content of a version. Its identity is the digest of its canonical JSON. */
export const VersionManifestSchema = z.strictObject({
  schema: z.literal(VERSION_SCHEMA),
  model: z.strictObject({ name: ModelNameSchema, kind: z.enum(MODEL_KINDS) }),
  components: z.array(ComponentSchema).min(1),
  ...ManifestBody,
});
export type VersionManifest = z.infer<typeof VersionManifestSchema>;

export const versionDigest = (manifest: VersionManifest): Digest => `sha256:${sha256Hex(utf8Encode(canonicalJson(manifest)))}`;

const ROLE_BY_NAME: [RegExp, (typeof COMPONENT_ROLES)[number]][] = [
  [/(^|\/)chat_template(\.jinja|\.json)?$|\.jinja$/, 'chat_template'],
  [/(^|\/)(tokenizer[^/]*|vocab\.[a-z]+|merges\.txt|spiece\.model)$/, 'tokenizer'],
  [/(^|\/)(prompt[^/]*\.(txt|md))$/, 'prompt_template'],
  [/(^|\/)(adapter_model\.[a-z]+|adapter_config\.json)$/, 'adapter'],
  [/\.(safetensors|gguf|onnx|pt|pth|bin|ckpt|h5|pkl|joblib|npz)$|(^|\/)(weights|model)\.json$/, 'weights'],
  [/(^|\/)(preprocess[^/]*|scaler[^/]*)$/, 'preprocessor'],
  [/(^|\/)(eval[-_]?report[^/]*)$/, 'eval_report'],
  [/(^|\/)(sbom[^/]*|[^/]*\.spdx(\.json)?|[^/]*\.cdx\.json)$/, 'sbom'],
  [/(^|\/)[^/]*config[^/]*\.(json|ya?ml|toml)$/, 'config'],
  [/\.(js|mjs|cjs|ts|py|sh|rb|go)$/, 'code'],
  [/\.(md|txt|rst|pdf|html)$/, 'docs'],
];

/** The role a file plays, from the author's declaration or else its name. */
export function roleOf(path: string, declared: Record<string, (typeof COMPONENT_ROLES)[number]>): (typeof COMPONENT_ROLES)[number] {
  return declared[path] ?? ROLE_BY_NAME.find(([re]) => re.test(path))?.[1] ?? 'other';
}
