import { z } from 'zod';
import { DigestSchema, SafeRelativePathSchema } from './digest.js';

/*
 * What a model version declares about itself and how it runs: shared by the version manifest (its
 * identity) and the bundle (what a host runs), so that the two can be held equal.
 */

export const MODEL_KINDS = ['classic', 'llm', 'embedding', 'adapter', 'vision', 'speech', 'other'] as const;
export const COMPONENT_ROLES = [
  'weights', 'adapter', 'tokenizer', 'chat_template', 'prompt_template', 'config',
  'preprocessor', 'code', 'docs', 'eval_report', 'sbom', 'other',
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

export const MonitoringSpecSchema = z.strictObject({
  referenceProfile: DigestSchema.optional(),
  features: z
    .array(z.strictObject({ name: z.string().min(1).max(128), pointer: z.string().max(1024), type: z.enum(['numeric', 'categorical', 'length']) }))
    .max(256)
    .default([]),
});

