import { z } from 'zod';
import { utf8Decode } from './bytes.js';
import { AirlockError, type ErrorCode } from './errors.js';

export interface VersionedFormat<T> {
  /** e.g. "airlock.bundle/v1": the family before the slash, the version after it */
  schemaId: string;
  schema: z.ZodType<T>;
  what: string;
  invalid: ErrorCode;
  unsupported: ErrorCode;
}

/**
 * Parses a signed document's payload. A document of the same family but another schema version is
 * refused by name (so an operator knows to upgrade), anything else that does not match is invalid.
 */
export function parseVersionedJson<T>(payload: Uint8Array, format: VersionedFormat<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(utf8Decode(payload));
  } catch {
    throw new AirlockError(format.invalid, `The ${format.what} is not valid JSON.`);
  }
  const family = format.schemaId.slice(0, format.schemaId.lastIndexOf('/') + 1);
  const declared = (json as { schema?: unknown } | null)?.schema;
  if (typeof declared === 'string' && declared !== format.schemaId && declared.startsWith(family)) {
    throw new AirlockError(
      format.unsupported,
      `The ${format.what} uses schema "${declared}"; this version of Airlock reads ${format.schemaId}. Upgrade Airlock to read it.`,
    );
  }
  const parsed = format.schema.safeParse(json);
  if (!parsed.success) throw new AirlockError(format.invalid, `The ${format.what} is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
