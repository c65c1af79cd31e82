import { z } from 'zod';
import { EnvelopeSchema } from '@airlock/shared/common';

/** The control socket's requests: one JSON line in, one JSON line out. */
export const ControlRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('status') }),
  z.strictObject({ op: z.literal('rollback'), slot: z.string(), to: z.string().optional(), authorisation: EnvelopeSchema.optional() }),
  z.strictObject({ op: z.literal('apply'), path: z.string() }),
  z.strictObject({ op: z.literal('verify'), path: z.string() }),
  z.strictObject({ op: z.literal('report') }),
  z.strictObject({ op: z.literal('export'), to: z.string() }),
]);
export type ControlRequest = z.infer<typeof ControlRequestSchema>;
