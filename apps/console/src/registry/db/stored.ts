import type { z } from 'zod';
import { AirlockError } from '@airlock/shared/common';

/**
 * Reading what the registry stored. Airlock writes only JSON it produced; a column that no longer
 * parses, or no longer matches its schema, was changed outside Airlock, and says so with
 * INTEGRITY_FAILED instead of failing deep inside a command.
 */
export function storedJson<T = unknown>(text: string, where: string, schema?: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw damaged(where);
  }
  if (!schema) return json as T;
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw damaged(where);
  return parsed.data;
}

const damaged = (where: string) => new AirlockError('INTEGRITY_FAILED', `${where} holds data Airlock never wrote: it was changed outside Airlock. Run \`airlock verify\` to see what else was.`);
