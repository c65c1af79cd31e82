import { z } from 'zod';
import { command, query } from '../call.js';
import { At, Digest, ErrorDataSchema, Id, Metrics, Name, Ref } from '../dto.js';
import { PROMOTION_STATES } from '../enums.js';
import { PolicySchema } from '../policy.js';

export const PromotionSchema = z.strictObject({
  id: Id,
  version: z.string(),
  digest: Digest,
  environment: z.string(),
  state: z.enum(PROMOTION_STATES),
  breakGlass: z.boolean(),
  requestedBy: z.string(),
  requestedAt: At,
  updatedAt: At,
  evidenceDigest: Digest,
});

export const GateSchema = z.strictObject({ gate: z.string(), passed: z.boolean(), detail: z.string() });

/** Everything a promotion decision rests on, as the registry computed it when it was requested. */
export const EvidenceSchema = z.strictObject({
  schema: z.literal('airlock.evidence/v1'),
  version: z.strictObject({ model: z.string(), number: z.int(), digest: Digest, createdBy: z.string() }),
  environment: z.strictObject({ name: z.string(), tier: z.int() }),
  policy: PolicySchema,
  active: z.strictObject({ number: z.int(), digest: Digest }).nullable(),
  evaluations: z.array(z.strictObject({ suite: z.string(), id: Id, source: z.string(), resultsDigest: Digest, metrics: Metrics })),
  config: z.strictObject({ overlay: z.record(z.string(), z.unknown()), resolved: z.record(z.string(), z.unknown()) }),
  gates: z.array(GateSchema),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

/** A break-glass rollback's record: no gates and no approvals, only who went back from what to what, and why. */
export const RollbackEvidenceSchema = z.strictObject({
  schema: z.literal('airlock.rollback/v1'),
  breakGlass: z.literal(true),
  from: z.strictObject({ version: z.string(), digest: Digest }),
  to: z.strictObject({ version: z.string(), digest: Digest }),
  environment: z.string(),
  reason: z.string(),
});

/**
 * What a promotion call did: `done`, or `refused` — recorded all the same (failed gates stay as
 * evidence, a voided request expires) but not what was asked for, with the reason.
 */
export const PromotionOutcomeSchema = z.discriminatedUnion('outcome', [
  z.strictObject({ outcome: z.literal('done'), promotion: PromotionSchema }),
  z.strictObject({ outcome: z.literal('refused'), promotion: PromotionSchema, refusal: ErrorDataSchema }),
]);

export const promotionCalls = {
  'promotions.list': query(
    'Promotions, newest first, optionally of one environment or model, or only open ones.',
    null,
    z.strictObject({ environment: Name.optional(), model: Name.optional(), open: z.boolean().default(false) }),
    z.array(PromotionSchema),
  ),
  'promotions.show': query(
    'One promotion with its evidence and the decisions on it.',
    null,
    z.strictObject({ id: Id }),
    PromotionSchema.extend({
      evidence: z.union([EvidenceSchema, RollbackEvidenceSchema]),
      approvals: z.array(z.strictObject({ approver: z.string(), decision: z.enum(['approve', 'reject']), at: At, evidenceDigest: Digest })),
    }),
  ),
  'promotions.preview': query(
    'The evidence and gates a request would record now, without recording anything.',
    null,
    z.strictObject({ ref: Ref, environment: Name }),
    EvidenceSchema,
  ),
  'promotions.request': command(
    "Request a version's promotion to an environment: every gate of its policy is evaluated and kept as evidence.",
    'promote.request',
    z.strictObject({ ref: Ref, environment: Name }),
    PromotionOutcomeSchema,
  ),
  'promotions.decide': command(
    "Approve or reject a promotion, signed over its evidence; neither its requester nor its version's creator may.",
    'promote.decide',
    z.strictObject({ id: Id, decision: z.enum(['approve', 'reject']), note: z.string().max(2000).default('') }),
    PromotionOutcomeSchema,
  ),
  'promotions.withdraw': command('Withdraw an open promotion request.', 'promote.withdraw', z.strictObject({ id: Id, reason: z.string().max(2000).default('') }), PromotionOutcomeSchema),
  'promotions.rollback': command(
    'Break glass: make the previously active version active again, without gates or approvals, and open a review item for someone else.',
    'rollback',
    z.strictObject({ model: Name, environment: Name, reason: z.string().min(1).max(2000) }),
    z.strictObject({ promotion: PromotionSchema, reviewId: Id }),
  ),
};
