import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { EvaluationSource } from '../../api/enums.js';


export interface EvaluationRow {
  id: number;
  version_id: number;
  version_digest: string;
  suite: string;
  metrics: string;
  results_digest: string;
  source: EvaluationSource;
  recorded_at: string;
  recorded_by: number;
}

export const evaluations = {
  insert(db: Db, e: Omit<EvaluationRow, 'id'>): number {
    return Number(
      db.run(sql`INSERT INTO evaluations (version_id, version_digest, suite, metrics, results_digest, source, recorded_at, recorded_by)
                 VALUES (${e.version_id}, ${e.version_digest}, ${e.suite}, ${e.metrics}, ${e.results_digest}, ${e.source}, ${e.recorded_at}, ${e.recorded_by})`).lastInsertRowid,
    );
  },
  /** The newest evaluation of this version in this suite, bound to the version's digest; of one source if given. */
  latest: (db: Db, versionId: number, digest: string, suite: string, source?: EvaluationSource) =>
    db.get<EvaluationRow>(sql`SELECT * FROM evaluations WHERE version_id = ${versionId} AND version_digest = ${digest} AND suite = ${suite}
      AND (${source ?? null} IS NULL OR source = ${source ?? null}) ORDER BY id DESC LIMIT 1`),
  of: (db: Db, versionId: number) => db.all<EvaluationRow>(sql`SELECT * FROM evaluations WHERE version_id = ${versionId} ORDER BY id`),
};
