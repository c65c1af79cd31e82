import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  AirlockError,
  FILE_NAME_RULE,
  MODEL_FILE_MAX_BYTES,
  SafeRelativePathSchema,
  MODEL_KINDS,
  ModelFileSchema,
  ModelNameSchema,
  canonicalJson,
  roleOf,
  versionDigest,
  type Component,
  type ModelFile,
  type VersionManifest,
} from '@airlock/shared/common';
import { authorize, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import { assertConfig, assertConfigSchema } from '../config-schema.js';
import type { Registry } from '../context.js';
import { walkFiles } from '../file-walk.js';
import { assertMonitoring, profileComponent } from './drift-profile.js';
import { components } from '../repos/components.js';
import { dependencyRows } from '../integrity/records.js';
import { dependencies } from '../repos/dependencies.js';
import { modelTags } from '../repos/model-tags.js';
import { models } from '../repos/models.js';
import { versionStatus } from '../repos/version-status.js';
import { versions, type VersionView } from '../repos/versions.js';

export const MODEL_FILE = 'airlock-model.json';

export interface ImportInput {
  path: string;
  model: string;
  kind?: (typeof MODEL_KINDS)[number];
  /** airlock-model.json; by default the one inside PATH when PATH is a directory */
  manifestPath?: string;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** cancels the import: nothing is registered, and blobs it alone stored are removed */
  signal?: AbortSignal;
}

export interface ImportResult {
  created: boolean;
  version: VersionView;
  /** what the import assumed because nothing declared it */
  assumed: string[];
}

/**
 * Reads `airlock-model.json` without following links and without echoing its content: a link to
 * /etc/passwd must not have its first bytes printed in an error.
 */
async function readModelFile(path: string | undefined, dir: string): Promise<ModelFile | null> {
  const candidate = path ?? join(dir, MODEL_FILE);
  const st = await lstat(candidate).catch((err: NodeJS.ErrnoException) => {
    if (path === undefined && err.code === 'ENOENT') return null;
    throw new AirlockError('NOT_FOUND', `Cannot read ${candidate}: ${err.code === 'ENOENT' ? 'there is no such file' : err.message}.`);
  });
  if (st === null) return null;
  if (st.isSymbolicLink()) throw new AirlockError('INVALID_INPUT', `${candidate} is a symbolic link; put the file itself there.`);
  if (!st.isFile()) throw new AirlockError('INVALID_INPUT', `${candidate} is not a regular file.`);
  if (st.size > MODEL_FILE_MAX_BYTES) throw new AirlockError('INVALID_INPUT', `${candidate} is ${st.size} bytes; a model file is at most ${MODEL_FILE_MAX_BYTES}.`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(candidate, 'utf8'));
  } catch (err) {
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new AirlockError('INVALID_INPUT', `${candidate} is not valid JSON${at ? ` (the problem is at character ${at})` : ''}.`);
  }
  const parsed = ModelFileSchema.safeParse(json);
  if (!parsed.success) throw new AirlockError('INVALID_INPUT', `${candidate} is invalid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Every name a version holds must survive every later command, bundle and host: checked once, here. */
function assertFileNames(files: { name: string }[]): void {
  for (const f of files) {
    const ok = SafeRelativePathSchema.safeParse(f.name);
    if (!ok.success) {
      throw new AirlockError('INVALID_INPUT', `The file ${JSON.stringify(f.name.length > 200 ? `${f.name.slice(0, 200)}…` : f.name)} cannot be imported: ${FILE_NAME_RULE} Rename it and import again.`);
    }
  }
}

/** A cancelled import takes back the blobs it alone added, unless a version has come to use them meanwhile. */
async function forget(reg: Registry, digests: string[]): Promise<void> {
  const used = new Set(components.allBlobs(reg.db).map((b) => b.digest));
  for (const d of digests) if (!used.has(d)) await reg.store.remove(d);
}

/** What an import of `input` would hold, checked as the import checks it, before a byte is stored. */
export async function inspectModel(input: Pick<ImportInput, 'path' | 'model' | 'kind' | 'manifestPath'>) {
  const name = ModelNameSchema.safeParse(input.model);
  if (!name.success) throw new AirlockError('INVALID_INPUT', `Model name "${input.model}": ${name.error.issues[0]?.message}.`);
  const st = await stat(input.path).catch(() => null);
  if (!st) throw new AirlockError('NOT_FOUND', `${input.path} does not exist.`);
  const isDir = st.isDirectory();
  const declared = await readModelFile(input.manifestPath, isDir ? input.path : '/nonexistent');
  if (!declared && !input.kind) {
    throw new AirlockError('USAGE', `There is no ${MODEL_FILE} in ${input.path}: say what kind of model it is with --kind (${MODEL_KINDS.join(', ')}), or add the file.`);
  }
  const modelFile = declared ?? ModelFileSchema.parse({});
  const kind = input.kind ?? modelFile.kind ?? 'other';
  if (input.kind && modelFile.kind && input.kind !== modelFile.kind) {
    throw new AirlockError('INVALID_INPUT', `--kind ${input.kind} contradicts "kind": "${modelFile.kind}" in ${MODEL_FILE}.`);
  }
  assertConfigSchema(modelFile.config.schema);
  assertConfig(modelFile.config.schema, modelFile.config.defaults, 'config.defaults');
  const files = await walkFiles([input.path], { exclude: (n) => isDir && n === MODEL_FILE });
  assertFileNames(files);
  assertMonitoring(modelFile.monitoring, files);
  for (const path of Object.keys(modelFile.roles)) {
    if (!files.some((f) => f.name === path)) throw new AirlockError('INVALID_INPUT', `roles names "${path}", which is not among the imported files.`);
  }
  const assumed = declared
    ? []
    : [`no ${MODEL_FILE}: component roles come from file names, the config is empty, and with no runtime or health spec the version cannot be deployed until a new one declares them`];
  if (modelFile.monitoring.features.length > 0 && !modelFile.monitoring.reference) {
    assumed.push('monitoring declares features but no reference dataset (monitoring.reference): hosts count no drift for this version');
  }
  return { declared: declared !== null, modelFile, kind, files, assumed };
}

/**
 * Imports a file or directory as a new version: every file is streamed into the blob store, the
 * manifest is built and digested, and the version is registered in one transaction. The same content
 * again returns the existing version; a failure registers nothing.
 */
export async function importModel(reg: Registry, actor: SigningActor, input: ImportInput): Promise<ImportResult> {
  authorize(actor, 'model.import');
  const { modelFile, kind, files, assumed } = await inspectModel(input);

  const bytesTotal = files.reduce((n, f) => n + f.size, 0);
  let bytesDone = 0;
  const comps: Component[] = [];
  const added: string[] = [];
  let profile: Awaited<ReturnType<typeof profileComponent>> = null;
  try {
    for (const f of files) {
      input.signal?.throwIfAborted();
      const ref = await reg.store.putFile(f.path, { onBytes: (n) => input.onProgress?.((bytesDone += n), bytesTotal), ...(input.signal ? { signal: input.signal } : {}) });
      if (ref.added) added.push(ref.digest);
      comps.push({ role: roleOf(f.name, modelFile.roles), path: f.name, digest: ref.digest, size: ref.size });
    }
    input.signal?.throwIfAborted();
    profile = await profileComponent(reg, modelFile.monitoring, comps);
    if (profile) {
      comps.push(profile.component);
      if (profile.added) added.push(profile.component.digest);
    }
  } catch (err) {
    if (input.signal?.aborted || err instanceof AirlockError) await forget(reg, added);
    throw err;
  }
  comps.sort((a, b) => (a.path < b.path ? -1 : 1));
  const { schema: _schema, kind: _kind, description, tags, roles: _roles, ...body } = modelFile;
  if (profile) body.monitoring = { ...body.monitoring, referenceProfile: profile.component.digest };
  const manifest: VersionManifest = { schema: 'airlock.version/v1', model: { name: input.model, kind }, components: comps, ...body };
  const digest = versionDigest(manifest);

  const existing = versions.byDigest(reg.db, digest);
  if (existing) return { created: false, version: existing, assumed };
  return mutate<ImportResult>(reg, actor, 'model.import', () => {
    const again = versions.byDigest(reg.db, digest);
    if (again) return { result: { created: false, version: again, assumed }, audit: null };
    const now = reg.now();
    let model = models.byName(reg.db, input.model);
    if (model && model.kind !== kind) {
      throw new AirlockError('CONFLICT', `Model "${input.model}" is a ${model.kind} model; this import says ${kind}.`);
    }
    if (!model) {
      models.insert(reg.db, { name: input.model, kind, description: description ?? '', created_at: now, created_by: actor.user.id });
      model = models.byName(reg.db, input.model)!;
    }
    for (const tag of tags) modelTags.add(reg.db, model.id, tag);
    const number = versions.nextNumber(reg.db, model.id);
    const id = versions.insert(reg.db, { model_id: model.id, number, digest, manifest: canonicalJson(manifest), created_at: now, created_by: actor.user.id });
    versionStatus.insert(reg.db, id, 'registered', now);
    for (const c of comps) components.insert(reg.db, id, c);
    for (const d of dependencyRows(manifest)) dependencies.insert(reg.db, id, d.kind, d.digest);
    const version = versions.byId(reg.db, id)!;
    return {
      result: { created: true, version, assumed },
      audit: { action: 'model.import', subject: `version:${input.model}@${number}`, details: { digest, kind, components: comps.length, bytes: bytesTotal } },
    };
  });
}
