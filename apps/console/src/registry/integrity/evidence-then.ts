import { canonicalJson } from '@airlock/shared/common';
import type { VersionState } from '../../api/enums.js';
import type { Db } from '../db/database.js';
import { sealRow, type RowSeal } from '../db/seals.js';
import { sql } from '../db/sql.js';
import type { ActivationRow } from '../repos/activations.js';
import { dependencies } from '../repos/dependencies.js';
import type { EnvironmentRow } from '../repos/environments.js';
import type { EvaluationRow } from '../repos/evaluations.js';
import { users } from '../repos/users.js';
import { versions, type VersionView } from '../repos/versions.js';
import type { Evidence, EvidenceReader } from '../services/evidence.js';
import type { SealLedger } from './ledger.js';

/** A sealed flag is the text, or its digest when long: only whether there is one decides a gate. */
const flagOf = (v: RowSeal[string] | undefined): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : 'flagged');

/**
 * The registry as it stood once every event up to `seq` was applied, for `verify` to re-derive an
 * evidence with the same `computeEvidence` a request used. Rows come from the database, but only rows
 * the chain had created by then count, and every changing column (a version's state, an activation's
 * end, an environment's tier) is taken from the seals. Policies and overlays are sealed as digests, so
 * the evidence's own claim of them is taken only if it matches the seal in force then; a claim that
 * does not is named in `mismatches`.
 */
export function evidenceAsOf(db: Db, ledger: SealLedger, seq: number, claimed: Evidence): { read: EvidenceReader; mismatches: string[] } {
  const mismatches: string[] = [];
  const existed = (table: 'versions' | 'evaluations', id: number) => (ledger.createdAt(table, [id]) ?? Infinity) <= seq;
  const version = (v: VersionView | undefined): VersionView | undefined => {
    const status = v && existed('versions', v.id) ? ledger.rowAt('version_status', [v.id], seq) : null;
    return v && status ? { ...v, state: status.state as VersionState, flag: flagOf(status.flag) } : undefined;
  };
  const environmentRows = () => db.all<EnvironmentRow>(sql`SELECT * FROM environments ORDER BY id`).filter((e) => ledger.rowAt('environments', [e.id], seq));
  const activationsThen = (rows: ActivationRow[]) =>
    rows.map((a) => ledger.rowAt('activations', [a.id], seq)).filter((a): a is RowSeal => a !== null && a !== undefined);
  const tierOf = (envId: number) => ledger.rowAt('environments', [envId], seq)?.tier;
  return {
    mismatches,
    read: {
      version: (id) => version(versions.byId(db, id)),
      versionByDigest: (digest) => version(versions.byDigest(db, digest)),
      environment(id) {
        const row = db.get<EnvironmentRow>(sql`SELECT * FROM environments WHERE id = ${id}`)!;
        const sealed = ledger.rowAt('environments', [id], seq);
        if (!sealed || canonicalJson(sealRow({ policy: canonicalJson(claimed.policy) }).policy) !== canonicalJson(sealed.policy)) {
          mismatches.push(`its evidence holds a policy that was not environment ${row.name}'s then`);
        }
        return { id, name: row.name, tier: Number(sealed?.tier ?? row.tier), policy: claimed.policy };
      },
      tiers: () => environmentRows().map((e) => Number(tierOf(e.id))),
      current(envId, modelId) {
        const open = activationsThen(db.all<ActivationRow>(sql`SELECT * FROM activations WHERE env_id = ${envId} AND model_id = ${modelId}`)).find((a) => a.ended_at === null);
        return open ? { version_id: Number(open.version_id) } : undefined;
      },
      dependencies: (versionId) => dependencies.of(db, versionId),
      latestEvaluation: (versionId, digest, suite, source) =>
        db
          .all<EvaluationRow>(sql`SELECT * FROM evaluations WHERE version_id = ${versionId} AND version_digest = ${digest} AND suite = ${suite}
            AND (${source ?? null} IS NULL OR source = ${source ?? null}) ORDER BY id DESC`)
          .find((e) => existed('evaluations', e.id)),
      everInTier: (versionId, tier) =>
        activationsThen(db.all<ActivationRow>(sql`SELECT * FROM activations WHERE version_id = ${versionId}`)).some((a) => tierOf(Number(a.env_id)) === tier),
      overlay(envId, modelId) {
        const sealed = ledger.rowAt('overlays', [envId, modelId], seq);
        if (!sealed) {
          if (Object.keys(claimed.config.overlay).length > 0) mismatches.push('its evidence holds an overlay the environment did not have then');
          return undefined;
        }
        if (canonicalJson(sealRow({ config: canonicalJson(claimed.config.overlay) }).config) !== canonicalJson(sealed.config)) {
          mismatches.push('its evidence holds an overlay that was not the environment\'s then');
        }
        return claimed.config.overlay;
      },
      userName: (id) => users.byId(db, id)?.name ?? '?',
    },
  };
}
