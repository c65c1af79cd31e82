import { AirlockError } from '@airlock/shared/common';
import type { Registry } from '../context.js';
import type { ApprovalRow } from '../repos/approvals.js';
import { components } from '../repos/components.js';
import { dependencies } from '../repos/dependencies.js';
import type { EvaluationRow } from '../repos/evaluations.js';
import type { VersionView } from '../repos/versions.js';
import { approvalProblems, evaluationProblems, promotionProblems, versionProblems } from './records.js';
import { SealCheck } from './seals-check.js';

/**
 * The checks a call makes on the records it is about to act on (promote, deploy, export): the same
 * recomputations as `airlock verify`, for just those rows, refusing with INTEGRITY_FAILED and leaving
 * everything as it was. `verify` covers the whole registry; these make a forged row useless even
 * before anyone runs it.
 */
export class ActedOn {
  readonly seals: SealCheck;

  constructor(private readonly reg: Registry) {
    this.seals = new SealCheck(reg);
  }

  private refuse(what: string, problems: string[]): void {
    if (problems.length > 0) throw new AirlockError('INTEGRITY_FAILED', `${what}: ${problems.join('; ')}. Run \`airlock verify\`; nothing was changed.`);
  }

  /** The version's digest recomputed from its stored manifest, its components and dependencies, and every row sealed. */
  version(v: VersionView): void {
    this.refuse(`${v.model}@${v.number}`, versionProblems(this.reg.db, v));
    this.seals.assert('versions', [v.id]);
    this.seals.assert('version_status', [v.id]);
    this.seals.assert('models', [v.model_id]);
    this.seals.assert('components', ...components.of(this.reg.db, v.id).map((c) => [v.id, c.path]));
    this.seals.assert('dependencies', ...dependencies.of(this.reg.db, v.id).map((d) => [v.id, d.kind, d.digest]));
  }

  evaluation(e: EvaluationRow): void {
    this.refuse(`evaluation #${e.id}`, evaluationProblems(this.reg.db, e));
    this.seals.assert('evaluations', [e.id]);
  }

  approval(a: ApprovalRow): void {
    this.seals.assert('approvals', [a.id]);
    this.refuse(`approval #${a.id}`, approvalProblems(this.reg.db, a, this.seals.sealedBy('approvals', [a.id]) === 'registry.adopt'));
  }

  promotion(p: { id: number; version_id: number; evidence: string; evidence_digest: string; break_glass: number }): void {
    this.refuse(`promotion #${p.id}`, promotionProblems(this.reg.db, p));
    this.seals.assert('promotions', [p.id]);
  }
}
