import { z } from 'zod';
import { DigestSchema, SafeRelativePathSchema } from './digest.js';

/*
 * What a model version declares about itself and how it runs: shared by the version manifest (its
 * identity) and the bundle (what a host runs), so that the two can be held equal.
 */

export const MODEL_KINDS = ['classic', 'llm', 'embedding', 'adapter', 'vision', 'speech', 'other'] as const;
export const COMPONENT_ROLES = [
  'weights', 'adapter', 'tokenizer', 'chat_template', 'prompt_template', 'config',
  'preprocessor', 'code', 'docs', 'eval_report', 'sbom', 'drift_profile', 'other',
] as const;

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

/**
 * A monitored feature: a JSON pointer into the request or the response body. New fields are optional
 * without defaults, so manifests written before them keep their digest; drift/spec.ts resolves them.
 */
export const DriftFeatureSpecSchema = z.strictObject({
  name: z.string().min(1).max(128),
  pointer: z.string().max(1024).refine((p) => p === '' || p.startsWith('/'), 'a JSON pointer is empty or starts with "/"'),
  type: z.enum(['numeric', 'categorical', 'length', 'missing']),
  /** the body the pointer reads (default the request) */
  from: z.enum(['request', 'response']).optional(),
  /** effect below which no drift is raised however large the window: in reference standard deviations (numeric, length) or total variation (categorical) */
  floor: z.number().positive().max(10).optional(),
  /** numeric and length: quantile bins of the reference (default 10) */
  bins: z.int().min(2).max(50).optional(),
  /** categorical: categories kept by name, the rest counted as "other" (default 20) */
  topK: z.int().min(1).max(200).optional(),
});
export type DriftFeatureSpec = z.infer<typeof DriftFeatureSpecSchema>;

export const MonitoringSpecSchema = z.strictObject({
  /** digest of the drift profile the registry built from the reference dataset (a component of the version) */
  referenceProfile: DigestSchema.optional(),
  /** the version's file holding the reference dataset: JSONL, one record per line */
  reference: SafeRelativePathSchema.optional(),
  /** "pairs": each line is {"request", "response"}; "records" (default): each line is a request body */
  referenceShape: z.enum(['pairs', 'records']).optional(),
  /** share of windows in which a model with no drift may still be called drifting (default 0.01) */
  falseAlarmRate: z.number().gt(0).max(0.2).optional(),
  features: z.array(DriftFeatureSpecSchema).max(256).default([]),
});
export type MonitoringSpec = z.infer<typeof MonitoringSpecSchema>;
