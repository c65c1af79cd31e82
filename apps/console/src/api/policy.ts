import { z } from 'zod';

export const ThresholdSchema = z
  .strictObject({
    metric: z.string().min(1),
    min: z.number().optional(),
    max: z.number().optional(),
    /** higher is better: no more than this far below the environment's active version */
    maxDrop: z.number().min(0).optional(),
    /** lower is better: no more than this far above the environment's active version */
    maxRise: z.number().min(0).optional(),
  })
  .refine((t) => t.min !== undefined || t.max !== undefined || t.maxDrop !== undefined || t.maxRise !== undefined, 'a threshold sets min, max, maxDrop or maxRise');

/** What a version must show before it may become active in an environment. */
export const PolicySchema = z.strictObject({
  requiredSuites: z
    .array(
      z.strictObject({
        suite: z.string().min(1),
        thresholds: z.array(ThresholdSchema).default([]),
        /** only results the registry produced by running the version's declared suite count */
        executed: z.boolean().default(false),
      }),
    )
    .default([]),
  approvals: z.int().min(0).max(10).default(1),
  requirePreviousTier: z.boolean().default(false),
  requestTtlHours: z.int().min(1).max(24 * 365).default(168),
  /** how often things come round for review in this environment; each opens a review item when due */
  reviews: z
    .strictObject({
      /** every active version is reviewed again this many days after it became active or was last reviewed */
      activeVersionDays: z.int().min(1).max(3650).optional(),
      /** the approvals behind an active version are due for renewal this many days after they were given */
      approvalDays: z.int().min(1).max(3650).optional(),
      /** the root of trust is flagged this many days before it expires */
      rootExpiryWarnDays: z.int().min(1).max(3650).optional(),
      /** a rollback drill is due this many days after the environment was created or last drilled */
      rollbackDrillDays: z.int().min(1).max(3650).optional(),
    })
    .optional(),
});
export type Policy = z.infer<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
