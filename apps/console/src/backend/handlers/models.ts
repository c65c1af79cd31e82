import { roleOf } from '@airlock/shared/common';
import type { VersionState } from '../../api/enums.js';
import { runEvaluation, recordEvaluation } from '../../registry/services/evaluations.js';
import { importModel, inspectModel } from '../../registry/services/import.js';
import { transitionVersion } from '../../registry/services/lifecycle.js';
import { annotateModel, diffVersions, evaluationHistory, listModels, listVersions, showModel } from '../../registry/services/models.js';
import { refOf } from '../../registry/services/refs.js';
import type { Handlers } from '../handler.js';

const activeView = (a: { environment: string; model: string; number: number; digest: string; activated_at: string }) => ({
  environment: a.environment,
  model: a.model,
  number: a.number,
  digest: a.digest,
  activatedAt: a.activated_at,
});

export const modelHandlers: Handlers<'models.list' | 'models.inspect' | 'versions.list' | 'evaluations.history' | 'models.show' | 'models.import' | 'models.annotate' | 'versions.diff' | 'versions.transition' | 'evaluations.run' | 'evaluations.record'> = {
  'models.list': ({ reg, actor }, input) => listModels(reg, actor, input),
  'versions.list': ({ reg, actor }, input) => listVersions(reg, actor, input),
  'evaluations.history': ({ reg, actor }, { model }) => evaluationHistory(reg, actor, model),
  'models.show': ({ reg, actor }, { ref }) => {
    const shown = showModel(reg, actor, ref);
    if (shown.kind === 'version') return { kind: 'version', version: { ...shown.version, state: shown.version.state as VersionState } };
    return { ...shown, versions: shown.versions.map((v) => ({ ...v, state: v.state as VersionState })), active: shown.active.map(activeView) };
  },
  'models.inspect': async (_ctx, input) => {
    const { declared, modelFile, kind, files, assumed } = await inspectModel(input);
    return {
      declared,
      kind,
      description: modelFile.description ?? '',
      tags: modelFile.tags,
      files: files.map((f) => ({ path: f.name, role: roleOf(f.name, modelFile.roles), size: f.size })),
      bytes: files.reduce((n, f) => n + f.size, 0),
      suites: Object.keys(modelFile.evaluation.suites),
      deployable: modelFile.runtime !== undefined && modelFile.health !== undefined,
      assumed,
    };
  },
  'models.import': async ({ reg, actor, progress, signal }, input) => {
    const { created, version, assumed } = await importModel(reg, actor, {
      ...input,
      signal,
      onProgress: (done, total) => progress({ phase: 'import', done, total, unit: 'bytes' }),
    });
    return { created, ref: refOf(version), digest: version.digest, state: version.state as VersionState, assumed };
  },
  'models.annotate': ({ reg, actor }, { name, ...change }) => annotateModel(reg, actor, name, change),
  'versions.diff': ({ reg, actor }, { from, to }) => diffVersions(reg, actor, from, to),
  'versions.transition': ({ reg, actor }, { ref, to, reason }) => transitionVersion(reg, actor, ref, to, reason) as Promise<{ ref: string; from: VersionState; to: VersionState; flaggedDependents: string[] }>,
  'evaluations.run': async ({ reg, actor, progress, signal }, { ref, suite }) => {
    progress({ phase: 'evaluate', done: 0, total: 0, unit: 'items' });
    return runEvaluation(reg, actor, ref, suite, { signal });
  },
  'evaluations.record': ({ reg, actor }, { ref, suite, results }) => recordEvaluation(reg, actor, ref, suite, results),
};

export { activeView };
