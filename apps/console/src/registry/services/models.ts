import type { z } from 'zod';
import { AirlockError, VersionManifestSchema, type VersionManifest } from '@airlock/shared/common';
import type { VersionDetailSchema } from '../../api/calls/models.js';
import type { Actor, SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { activations } from '../repos/activations.js';
import { components } from '../repos/components.js';
import { dependencies } from '../repos/dependencies.js';
import { evaluations } from '../repos/evaluations.js';
import { modelTags } from '../repos/model-tags.js';
import { models, type ModelRow } from '../repos/models.js';
import { users } from '../repos/users.js';
import { versionList, type VersionListFilter, type VersionSort } from '../repos/version-list.js';
import { versions, type VersionView } from '../repos/versions.js';
import { parseVersionRef, refOf, resolveVersion } from './refs.js';
import { storedJson } from '../db/stored.js';

export interface ModelSummary {
  name: string;
  kind: string;
  description: string;
  tags: string[];
  versions: number;
  latest: number | null;
}

export function listModels(reg: Registry, _actor: Actor, filter: { prefix?: string; tag?: string; limit?: number } = {}): ModelSummary[] {
  return models.list(reg.db, filter).map((m) => ({
    name: m.name,
    kind: m.kind,
    description: m.description,
    tags: m.tags ? m.tags.split(',').sort() : [],
    versions: m.versions,
    latest: m.latest,
  }));
}

/** A page of the version list, with the total the filter matches (for the list's scrollbar). */
export function listVersions(reg: Registry, _actor: Actor, q: VersionListFilter & { sort: VersionSort; descending: boolean; offset: number; limit: number }) {
  const { sort, descending, offset, limit, ...filter } = q;
  return {
    total: versionList.count(reg.db, filter),
    offset,
    rows: versionList.page(reg.db, filter, sort, descending, offset, limit).map((r) => ({
      ref: `${r.model}@${r.number}`,
      model: r.model,
      number: r.number,
      kind: r.kind,
      state: r.state,
      flag: r.flag,
      digest: r.digest,
      createdAt: r.created_at,
      tags: r.tags ? r.tags.split(',').sort() : [],
      active: r.active ? r.active.split(',').sort() : [],
    })),
  };
}

/** Every evaluation of every version of a model, oldest version first. */
export function evaluationHistory(reg: Registry, _actor: Actor, name: string) {
  const model = requireModel(reg, name);
  return versions.ofModel(reg.db, model.id).flatMap((v) =>
    evaluations.of(reg.db, v.id).map((e) => ({ version: v.number, id: e.id, suite: e.suite, metrics: storedJson<Record<string, number>>(e.metrics, `evaluation #${e.id}`), source: e.source, recordedAt: e.recorded_at })),
  );
}

export const manifestOf = (v: VersionView): VersionManifest => storedJson(v.manifest, `the manifest of ${v.model}@${v.number}`, VersionManifestSchema);

export type VersionDetail = z.infer<typeof VersionDetailSchema>;

export function versionDetail(reg: Registry, v: VersionView): VersionDetail {
  return {
    ref: refOf(v),
    number: v.number,
    digest: v.digest,
    state: v.state,
    flag: v.flag,
    createdAt: v.created_at,
    createdBy: users.byId(reg.db, v.created_by)?.name ?? '?',
    manifest: manifestOf(v),
    evaluations: evaluations.of(reg.db, v.id).map((e) => ({ id: e.id, suite: e.suite, metrics: storedJson<Record<string, number>>(e.metrics, `evaluation #${e.id}`), source: e.source, recordedAt: e.recorded_at })),
    dependencies: dependencies.of(reg.db, v.id).map((d) => {
      const dep = versions.byDigest(reg.db, d.digest);
      return { kind: d.kind, digest: d.digest as VersionDetail['digest'], ref: dep ? refOf(dep) : null, state: dep?.state ?? null };
    }),
  };
}

function requireModel(reg: Registry, name: string): ModelRow {
  const model = models.byName(reg.db, name);
  if (!model) throw new AirlockError('NOT_FOUND', `There is no model "${name}".`);
  return model;
}

/** `NAME`: the model with its versions and where each is active; `NAME@N`: that version in full. */
export function showModel(reg: Registry, _actor: Actor, text: string) {
  const ref = parseVersionRef(text);
  const model = requireModel(reg, ref.model);
  if (ref.number !== undefined) return { kind: 'version' as const, version: versionDetail(reg, resolveVersion(reg, ref)) };
  return {
    kind: 'model' as const,
    model: { name: model.name, kind: model.kind, description: model.description, tags: modelTags.of(reg.db, model.id), createdAt: model.created_at },
    versions: versions.ofModel(reg.db, model.id).map((v) => ({ number: v.number, digest: v.digest, state: v.state, flag: v.flag, createdAt: v.created_at })),
    active: activations.active(reg.db, model.id),
  };
}

export function annotateModel(reg: Registry, actor: SigningActor, name: string, change: { description?: string; addTags?: string[]; removeTags?: string[] }) {
  return mutate(reg, actor, 'model.annotate', () => {
    const model = requireModel(reg, name);
    if (change.description !== undefined) models.setDescription(reg.db, model.id, change.description);
    for (const t of change.addTags ?? []) {
      if (!/^[a-z0-9][a-z0-9._:-]{0,62}$/.test(t)) throw new AirlockError('INVALID_INPUT', `"${t}" is not a tag: use lower-case letters, digits and ._:-.`);
      modelTags.add(reg.db, model.id, t);
    }
    for (const t of change.removeTags ?? []) modelTags.remove(reg.db, model.id, t);
    return { result: { name, tags: modelTags.of(reg.db, model.id) }, audit: { action: 'model.annotate', subject: `model:${name}`, details: change } };
  });
}

type Change<T> = { added: T[]; removed: T[]; changed: { key: string; from: unknown; to: unknown }[] };

function diffRecords(a: Record<string, unknown>, b: Record<string, unknown>): Change<string> {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: Change<string> = { added: [], removed: [], changed: [] };
  for (const k of keys) {
    if (!(k in a)) out.added.push(k);
    else if (!(k in b)) out.removed.push(k);
    else if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.changed.push({ key: k, from: a[k], to: b[k] });
  }
  return out;
}

/** Every leaf of a JSON value by its path ("health.golden.0.path"), so any two manifests can be compared field by field. */
function leaves(value: unknown, prefix: string, out: Record<string, unknown>): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = value;
  }
  return out;
}

/** Manifest fields the other sections do not cover (runtime, health, monitoring, evaluation, io, lineage, licence…). */
function otherFields(m: VersionManifest): Record<string, unknown> {
  const { components: _c, config: _cfg, dependencies: _d, schema: _s, ...rest } = m;
  return leaves(rest, '', {});
}

/** What changed from version A to version B: components, config schema and defaults, dependencies, metrics, and every other manifest field. */
export function diffVersions(reg: Registry, _actor: Actor, a: string, b: string) {
  const [va, vb] = [resolveVersion(reg, a), resolveVersion(reg, b)];
  const [ma, mb] = [manifestOf(va), manifestOf(vb)];
  const byPath = (cs: { path: string }[]) => Object.fromEntries(cs.map((c) => [c.path, c]));
  const metrics = (v: VersionView) => {
    const latest: Record<string, unknown> = {};
    for (const e of evaluations.of(reg.db, v.id)) for (const [k, val] of Object.entries(JSON.parse(e.metrics) as Record<string, number>)) latest[`${e.suite}.${k}`] = val;
    return latest;
  };
  return {
    from: refOf(va),
    to: refOf(vb),
    components: diffRecords(byPath(components.of(reg.db, va.id)), byPath(components.of(reg.db, vb.id))),
    configSchema: diffRecords((ma.config.schema.properties ?? {}) as Record<string, unknown>, (mb.config.schema.properties ?? {}) as Record<string, unknown>),
    configDefaults: diffRecords(ma.config.defaults, mb.config.defaults),
    dependencies: diffRecords(ma.dependencies as Record<string, unknown>, mb.dependencies as Record<string, unknown>),
    metrics: diffRecords(metrics(va), metrics(vb)),
    manifest: diffRecords(otherFields(ma), otherFields(mb)),
  };
}
