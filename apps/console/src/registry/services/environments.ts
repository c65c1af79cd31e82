import { AirlockError, isAirlockError, canonicalJson } from '@airlock/shared/common';
import type { Actor, SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import { assertConfig, resolveConfig } from '../config-schema.js';
import type { Registry } from '../context.js';
import type { Policy } from '../../api/policy.js';
import { parsePolicy, storedPolicy, SecretNameSchema } from '../policy.js';
import { activations } from '../repos/activations.js';
import { environments, type EnvironmentRow } from '../repos/environments.js';
import { models } from '../repos/models.js';
import { overlays } from '../repos/overlays.js';
import { versions } from '../repos/versions.js';
import { manifestOf } from './models.js';
import { storedJson } from '../db/stored.js';

const ENV_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface EnvironmentView {
  name: string;
  tier: number;
  policy: Policy;
  secrets: string[];
  createdAt: string;
}

export const environmentView = (e: EnvironmentRow): EnvironmentView => ({
  name: e.name,
  tier: e.tier,
  policy: storedPolicy(e),
  secrets: storedJson<string[]>(e.secrets, `the secrets of environment ${e.name}`),
  createdAt: e.created_at,
});

export function requireEnvironment(reg: Registry, name: string): EnvironmentRow {
  const env = environments.byName(reg.db, name);
  if (!env) throw new AirlockError('NOT_FOUND', `There is no environment "${name}".`);
  return env;
}

function parseSecrets(names: string[]): string[] {
  for (const n of names) {
    if (!SecretNameSchema.safeParse(n).success) throw new AirlockError('INVALID_INPUT', `"${n}" is not a secret name: a letter or _ then letters, digits or _.`);
  }
  return [...new Set(names)].sort();
}

export function createEnvironment(reg: Registry, actor: SigningActor, input: { name: string; tier: number; policy: unknown; secrets?: string[] }): EnvironmentView {
  if (!ENV_NAME.test(input.name)) throw new AirlockError('INVALID_INPUT', `"${input.name}" is not an environment name: lower-case letters, digits and ._-.`);
  if (!Number.isInteger(input.tier) || input.tier < 0 || input.tier > 99) throw new AirlockError('INVALID_INPUT', 'The tier is a whole number from 0 to 99.');
  const policy = parsePolicy(input.policy);
  const secrets = parseSecrets(input.secrets ?? []);
  return mutate(reg, actor, 'env.create', () => {
    if (environments.byName(reg.db, input.name)) throw new AirlockError('ALREADY_EXISTS', `Environment "${input.name}" already exists.`);
    environments.insert(reg.db, { name: input.name, tier: input.tier, policy: canonicalJson(policy), secrets: JSON.stringify(secrets), created_at: reg.now() });
    return { result: environmentView(environments.byName(reg.db, input.name)!), audit: { action: 'env.create', subject: `env:${input.name}`, details: { tier: input.tier, policy, secrets } } };
  });
}

export function setPolicy(reg: Registry, actor: SigningActor, name: string, policyJson: unknown): EnvironmentView {
  const policy = parsePolicy(policyJson);
  return mutate(reg, actor, 'env.create', () => {
    const env = requireEnvironment(reg, name);
    environments.setPolicy(reg.db, env.id, canonicalJson(policy));
    return { result: environmentView(environments.byId(reg.db, env.id)!), audit: { action: 'env.policy', subject: `env:${name}`, details: { from: storedPolicy(env), to: policy } } };
  });
}

export function setSecrets(reg: Registry, actor: SigningActor, name: string, names: string[]): EnvironmentView {
  const secrets = parseSecrets(names);
  return mutate(reg, actor, 'env.configure', () => {
    const env = requireEnvironment(reg, name);
    environments.setSecrets(reg.db, env.id, JSON.stringify(secrets));
    return { result: environmentView(environments.byId(reg.db, env.id)!), audit: { action: 'env.secrets', subject: `env:${name}`, details: { secrets } } };
  });
}

/** Sets an environment's config overlay for a model, validated against the model's latest version. */
/** Holds an overlay to the model's latest config schema, over its defaults, as setting it would; throws what is wrong. */
function assertOverlay(reg: Registry, envName: string, modelName: string, overlay: unknown) {
  if (typeof overlay !== 'object' || overlay === null || Array.isArray(overlay)) throw new AirlockError('INVALID_INPUT', 'A config overlay is a JSON object.');
  const config = overlay as Record<string, unknown>;
  const env = requireEnvironment(reg, envName);
  const model = models.byName(reg.db, modelName);
  const latest = versions.latest(reg.db, modelName);
  if (!model || !latest) throw new AirlockError('NOT_FOUND', `There is no model "${modelName}" with a version.`);
  const manifest = manifestOf(latest);
  assertConfig(manifest.config.schema, resolveConfig(manifest.config.defaults, config), `The overlay for ${modelName} in ${envName}`);
  return { env, model, config };
}

/** Whether an overlay would be accepted now, and if not why, without setting it: the console's inline check. */
export function checkOverlay(reg: Registry, _actor: Actor, envName: string, modelName: string, overlay: unknown) {
  try {
    assertOverlay(reg, envName, modelName, overlay);
    return { valid: true, problem: null };
  } catch (err) {
    if (!isAirlockError(err)) throw err;
    return { valid: false, problem: err.toData() };
  }
}

export function setOverlay(reg: Registry, actor: SigningActor, envName: string, modelName: string, overlay: unknown) {
  return mutate(reg, actor, 'env.configure', () => {
    const { env, model, config } = assertOverlay(reg, envName, modelName, overlay);
    overlays.set(reg.db, env.id, model.id, canonicalJson(config), reg.now());
    return { result: { environment: envName, model: modelName, config }, audit: { action: 'env.overlay', subject: `env:${envName}`, details: { model: modelName, config } } };
  });
}

export function listEnvironments(reg: Registry, _actor: Actor) {
  return environments.list(reg.db).map(environmentView);
}

export function showEnvironment(reg: Registry, _actor: Actor, name: string) {
  const env = requireEnvironment(reg, name);
  return { ...environmentView(env), active: activations.active(reg.db).filter((a) => a.environment === name) };
}
