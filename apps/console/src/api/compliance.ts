import { z } from 'zod';
import { DigestSchema, TimestampSchema } from '@airlock/shared/common';

/** What the issuer of a compliance report signs: the report file's digest, and what it is a report of. */
export const ComplianceStatementSchema = z.strictObject({
  schema: z.literal('airlock.compliance-report/v1'),
  file: z.string(),
  digest: DigestSchema,
  format: z.enum(['html', 'pdf']),
  environment: z.string(),
  since: z.string().nullable(),
  /** the audit log's head the report was drawn at */
  asOf: z.strictObject({ seq: z.int().min(0), hash: z.string() }),
  issuedBy: z.string(),
  issuedAt: TimestampSchema,
});
export type ComplianceStatement = z.infer<typeof ComplianceStatementSchema>;
