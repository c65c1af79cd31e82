import { z } from 'zod';
import { HostDriftWindowSchema } from '@airlock/shared/common';
import { query } from '../call.js';
import { At, Id } from '../dto.js';

export const DriftShowSchema = z.strictObject({
  model: z.string(),
  versions: z.array(
    z.strictObject({
      number: z.int(),
      digest: z.string(),
      hosts: z.array(z.strictObject({ host: z.string(), slot: z.string(), tapped: z.int(), windows: z.array(HostDriftWindowSchema) })),
    }),
  ),
});

export const RetrainingSchema = z.strictObject({ id: Id, version: z.string(), review: Id, reason: z.string(), requestedAt: At, requestedBy: z.string() });

export const driftCalls = {
  'drift.show': query(
    "Per version of a model and per host, the drift windows hosts reported in their signed status reports, oldest first.",
    null,
    z.strictObject({
      ref: z.string().min(1).max(80),
      env: z.string().max(64).optional(),
      host: z.string().max(64).optional(),
      limit: z.int().min(1).max(200).default(24),
    }),
    DriftShowSchema,
  ),
  'retraining.list': query('Retraining requests decided on drift reviews, newest first: for one model, or every model.', null, z.strictObject({ model: z.string().max(64).optional() }), z.array(RetrainingSchema)),
} as const;
