import { Ajv, type ErrorObject } from 'ajv';
import { AirlockError } from '@airlock/shared/common';

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false });

const describe = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');

/** Checks that a version's config schema is itself a valid JSON Schema. */
export function assertConfigSchema(schema: Record<string, unknown>): void {
  try {
    ajv.compile(schema);
  } catch (err) {
    throw new AirlockError('CONFIG_INVALID', `config.schema is not a valid JSON Schema: ${(err as Error).message}`);
  }
}

/** Checks a configuration against a version's schema; the error names every offending field. */
export function assertConfig(schema: Record<string, unknown>, config: unknown, what: string): void {
  const validate = ajv.compile(schema);
  if (!validate(config)) throw new AirlockError('CONFIG_INVALID', `${what} does not match the version's config schema: ${describe(validate.errors)}.`);
}

/** Defaults overlaid by an environment's values, one level deep per key (objects merge, the rest replace). */
export function resolveConfig(defaults: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(overlay)) {
    const base = out[k];
    const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(base) && isObj(v) ? resolveConfig(base, v) : v;
  }
  return out;
}
