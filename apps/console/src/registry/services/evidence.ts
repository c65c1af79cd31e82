import type { z } from 'zod';
import { AirlockError, canonicalJson, sha256Hex, utf8Encode, type Digest } from '@airlock/shared/common';
import type { Evidence, GateSchema } from '../../api/calls/promotions.js';
import { assertConfig, resolveConfig } from '../config-schema.js';
import type { ActedOn } from '../integrity/acted-on.js';
import type { Registry } from '../context.js';
import type { Policy } from '../../api/policy.js';
import { storedPolicy } from '../policy.js';
import { activations } from '../repos/activations.js';
import { components } from '../repos/components.js';
import { dependencies } from '../repos/dependencies.js';
import { environments } from '../repos/environments.js';
import type { EvaluationSource } from '../../api/enums.js';
import { evaluations, type EvaluationRow } from '../repos/evaluations.js';
import { overlays } from '../repos/overlays.js';
import { users } from '../repos/users.js';
import { versions, type VersionView } from '../repos/versions.js';
import { manifestOf } from './models.js';
import { refOf } from './refs.js';
import { storedJson } from '../db/stored.js';

/** A promotion's evidence and its gates are the API's own types: what is stored is what is shown. */
export type Gate = z.infer<typeof GateSchema>;
export type { Evidence };

export const evidenceDigest = (e: Evidence): Digest => `sha256:${sha256Hex(utf8Encode(canonicalJson(e)))}`;

/** Blob-store check for the integrity gate; async, so it runs before the transaction that uses it. */
export async function checkIntegrity(reg: Registry, versionId: number): Promise<Gate> {
  const missing: string[] = [];
  for (const c of components.of(reg.db, versionId)) {
    const ok = (await reg.store.has(c.digest)) && (await reg.store.size(c.digest)) === c.size;
    if (!ok) missing.push(c.path);
  }
  return missing.length === 0
    ? { gate: 'integrity', passed: true, detail: 'every component is in the blob store with its declared size' }
    : { gate: 'integrity', passed: false, detail: `missing or damaged: ${missing.join(', ')}` };
}

function thresholdGates(suite: string, policy: Policy['requiredSuites'][number], metrics: Record<string, number>, baseline: Record<string, number> | null): Gate[] {
  return policy.thresholds.map((t) => {
    const value = metrics[t.metric];
    const name = `evaluation:${suite}:${t.metric}`;
    if (value === undefined) return { gate: name, passed: false, detail: `${suite} reports no metric "${t.metric}"` };
    const problems: string[] = [];
    if (t.min !== undefined && value < t.min) problems.push(`${value} < min ${t.min}`);
    if (t.max !== undefined && value > t.max) problems.push(`${value} > max ${t.max}`);
    const base = baseline?.[t.metric];
    if (base !== undefined && t.maxDrop !== undefined && value < base - t.maxDrop) problems.push(`${value} is more than ${t.maxDrop} below the active version's ${base}`);
    if (base !== undefined && t.maxRise !== undefined && value > base + t.maxRise) problems.push(`${value} is more than ${t.maxRise} above the active version's ${base}`);
    const relative = (t.maxDrop !== undefined || t.maxRise !== undefined) && base === undefined ? ' (no active baseline to compare with)' : '';
    return { gate: name, passed: problems.length === 0, detail: problems.length ? problems.join('; ') : `${value} meets the threshold${relative}` };
  });
}

/**
 * What an evidence is computed from. The registry as it stands (`liveEvidence`: every row read is held
 * to its seal first, so a row edited or inserted in the database fails the call with INTEGRITY_FAILED
 * instead of becoming evidence), or as it stood just before an audit event (`verify`'s replay), so that
 * the same function re-derives every stored evidence and a forged gate has nowhere to hide.
 */
export interface EvidenceReader {
  version(id: number): VersionView | undefined;
  versionByDigest(digest: string): VersionView | undefined;
  environment(id: number): { id: number; name: string; tier: number; policy: Policy };
  /** the tiers of every environment */
  tiers(): number[];
  /** the version active for a model in an environment */
  current(envId: number, modelId: number): { version_id: number } | undefined;
  dependencies(versionId: number): { kind: string; digest: string }[];
  latestEvaluation(versionId: number, digest: string, suite: string, source?: EvaluationSource): EvaluationRow | undefined;
  /** was the version ever active in an environment of this tier */
  everInTier(versionId: number, tier: number): boolean;
  overlay(envId: number, modelId: number): Record<string, unknown> | undefined;
  userName(id: number): string;
}

/** The registry as it stands, each row held to its seal as it is read. */
export function liveEvidence(reg: Registry, checked: ActedOn): EvidenceReader {
  const db = reg.db;
  const environment = (id: number) => {
    checked.seals.assert('environments', [id]);
    return environments.byId(db, id)!;
  };
  return {
    version(id) {
      const v = versions.byId(db, id);
      if (v) checked.version(v);
      return v;
    },
    versionByDigest(digest) {
      const v = versions.byDigest(db, digest);
      if (v) {
        checked.seals.assert('versions', [v.id]);
        checked.seals.assert('version_status', [v.id]);
      }
      return v;
    },
    environment(id) {
      const e = environment(id);
      return { ...e, policy: storedPolicy(e) };
    },
    tiers: () => environments.list(db).map((e) => environment(e.id).tier),
    current(envId, modelId) {
      const a = activations.current(db, envId, modelId);
      if (a) checked.seals.assert('activations', [a.id]);
      return a;
    },
    dependencies: (versionId) => dependencies.of(db, versionId),
    latestEvaluation(versionId, digest, suite, source) {
      const e = evaluations.latest(db, versionId, digest, suite, source);
      if (e) checked.evaluation(e);
      return e;
    },
    everInTier(versionId, tier) {
      const rows = activations.ofVersion(db, versionId);
      checked.seals.assert('activations', ...rows.map((a) => [a.id]));
      return rows.some((a) => environment(a.env_id).tier === tier);
    },
    overlay(envId, modelId) {
      const row = overlays.get(db, envId, modelId);
      if (!row) return undefined;
      checked.seals.assert('overlays', [envId, modelId]);
      return storedJson<Record<string, unknown>>(row.config, `the overlay of model #${modelId} in environment #${envId}`);
    },
    userName(id) {
      checked.seals.assert('users', [id]);
      return users.byId(db, id)?.name ?? '?';
    },
  };
}

/** Evaluates every gate of the environment's policy for this version, from what `read` gives. */
export function computeEvidence(read: EvidenceReader, versionId: number, envId: number, integrity: Gate): Evidence {
  const v = read.version(versionId);
  if (!v) throw new AirlockError('NOT_FOUND', `There is no version #${versionId}.`);
  const env = read.environment(envId);
  const policy = env.policy;
  const manifest = manifestOf(v);
  const current = read.current(env.id, v.model_id);
  const active = current ? (read.version(current.version_id) ?? null) : null;
  const gates: Gate[] = [];

  gates.push(
    v.state === 'validated'
      ? { gate: 'lifecycle', passed: true, detail: 'validated' }
      : { gate: 'lifecycle', passed: false, detail: `${refOf(v)} is ${v.state}; only validated versions are promoted` },
  );
  gates.push(integrity);
  gates.push(
    active?.id === v.id
      ? { gate: 'not_active', passed: false, detail: `${refOf(v)} is already active in ${env.name}` }
      : { gate: 'not_active', passed: true, detail: active ? `replaces ${refOf(active)}` : 'first version in this environment' },
  );

  const blocked: string[] = v.flag ? [v.flag] : [];
  for (const d of read.dependencies(v.id)) {
    const dep = read.versionByDigest(d.digest);
    if (dep && (dep.state === 'revoked' || dep.state === 'quarantined')) blocked.push(`${d.kind} ${refOf(dep)} is ${dep.state}`);
    else if (!dep && d.kind === 'base_model') blocked.push(`base model ${d.digest} is not in this registry`);
  }
  gates.push({ gate: 'dependencies', passed: blocked.length === 0, detail: blocked.length ? blocked.join('; ') : 'every governed dependency is in good standing' });

  const evals: Evidence['evaluations'] = [];
  for (const req of policy.requiredSuites) {
    const e = read.latestEvaluation(v.id, v.digest, req.suite, req.executed ? 'executed' : undefined);
    if (!e) {
      gates.push({ gate: `evaluation:${req.suite}`, passed: false, detail: `no ${req.executed ? 'executed ' : ''}${req.suite} results for ${refOf(v)}${req.executed ? ' (recorded results do not count here: run the suite with `airlock eval run`)' : ''}` });
      continue;
    }
    const metrics = storedJson<Record<string, number>>(e.metrics, `evaluation #${e.id}`);
    evals.push({ suite: req.suite, id: e.id, source: e.source, resultsDigest: e.results_digest, metrics });
    const baseEval = active ? read.latestEvaluation(active.id, active.digest, req.suite) : undefined;
    gates.push({ gate: `evaluation:${req.suite}`, passed: true, detail: `${e.source} results ${e.results_digest.slice(0, 19)}…` });
    gates.push(...thresholdGates(req.suite, req, metrics, baseEval ? storedJson<Record<string, number>>(baseEval.metrics, `evaluation #${baseEval.id}`) : null));
  }

  if (policy.requirePreviousTier) {
    const lower = read.tiers().filter((t) => t < env.tier);
    const previous = lower.length ? Math.max(...lower) : null;
    gates.push(
      previous === null || read.everInTier(v.id, previous)
        ? { gate: 'previous_tier', passed: true, detail: previous === null ? 'no lower tier exists' : `was active in tier ${previous}` }
        : { gate: 'previous_tier', passed: false, detail: `${refOf(v)} has never been active in tier ${previous}` },
    );
  }

  const stored = read.overlay(env.id, v.model_id);
  const overlay = stored ?? {};
  const resolved = resolveConfig(manifest.config.defaults, overlay);
  try {
    assertConfig(manifest.config.schema, resolved, `The resolved config for ${env.name}`);
    gates.push({ gate: 'config', passed: true, detail: stored ? 'overlay matches the config schema' : 'defaults (no overlay)' });
  } catch (err) {
    gates.push({ gate: 'config', passed: false, detail: (err as Error).message });
  }

  return {
    schema: 'airlock.evidence/v1',
    version: { model: v.model, number: v.number, digest: v.digest, createdBy: read.userName(v.created_by) },
    environment: { name: env.name, tier: env.tier },
    policy,
    active: active ? { number: active.number, digest: active.digest } : null,
    evaluations: evals,
    config: { overlay, resolved },
    gates,
  };
}
