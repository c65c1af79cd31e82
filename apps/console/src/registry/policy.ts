import { z } from 'zod';
import { AirlockError } from '@airlock/shared/common';
import { storedJson } from './db/stored.js';
import { PolicySchema, type Policy } from '../api/policy.js';

export function parsePolicy(json: unknown, what = 'policy'): Policy {
  const parsed = PolicySchema.safeParse(json);
  if (!parsed.success) throw new AirlockError('INVALID_INPUT', `The ${what} is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** An environment's policy as stored: damaged JSON is INTEGRITY_FAILED, never a crash. */
export const storedPolicy = (env: { name: string; policy: string }): Policy => storedJson(env.policy, `the policy of environment ${env.name}`, PolicySchema);

export const SecretNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'a secret name is a letter or _ then letters, digits or _');
