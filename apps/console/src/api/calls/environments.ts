import { z } from 'zod';
import { command, query } from '../call.js';
import { At, ErrorDataSchema, Json, Name, NoInput } from '../dto.js';
import { PolicySchema } from '../policy.js';
import { ActiveSchema } from './models.js';

export const EnvironmentSchema = z.strictObject({
  name: z.string(),
  tier: z.int(),
  policy: PolicySchema,
  secrets: z.array(z.string()),
  createdAt: At,
});

/** Secret names only: their values live on the hosts and never pass through the registry. */
const SecretNames = z.array(z.string().max(128)).max(256);

export const environmentCalls = {
  'environments.list': query('Every environment, lowest tier first.', null, NoInput, z.array(EnvironmentSchema)),
  'environments.show': query('One environment and what is active in it.', null, z.strictObject({ name: Name }), EnvironmentSchema.extend({ active: z.array(ActiveSchema) })),
  'environments.create': command(
    'Create an environment with its tier, promotion policy and the names of the secrets its hosts must hold.',
    'env.create',
    z.strictObject({ name: Name, tier: z.int().min(0).max(100), policy: PolicySchema, secrets: SecretNames.default([]) }),
    EnvironmentSchema,
  ),
  'environments.setPolicy': command("Replace an environment's promotion policy.", 'env.create', z.strictObject({ name: Name, policy: PolicySchema }), EnvironmentSchema),
  'environments.setSecrets': command("Replace the names of an environment's secrets.", 'env.configure', z.strictObject({ name: Name, secrets: SecretNames }), EnvironmentSchema),
  'environments.checkOverlay': query(
    "Whether a config overlay would be accepted now (the model's latest config schema, over its defaults), and if not why, without setting it.",
    null,
    z.strictObject({ environment: Name, model: Name, config: z.record(z.string(), Json) }),
    z.strictObject({ valid: z.boolean(), problem: ErrorDataSchema.nullable() }),
  ),
  'environments.setOverlay': command(
    "Set a model's config overlay in an environment; it must satisfy the latest version's config schema.",
    'env.configure',
    z.strictObject({ environment: Name, model: Name, config: z.record(z.string(), Json) }),
    z.strictObject({ environment: z.string(), model: z.string(), config: z.record(z.string(), Json) }),
  ),
};
