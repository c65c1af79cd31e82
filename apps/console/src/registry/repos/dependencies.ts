import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export const dependencies = {
  insert: (db: Db, versionId: number, kind: string, digest: string) =>
    db.run(sql`INSERT INTO dependencies (version_id, kind, digest) VALUES (${versionId}, ${kind}, ${digest})`),
  of: (db: Db, versionId: number) => db.all<{ kind: string; digest: string }>(sql`SELECT kind, digest FROM dependencies WHERE version_id = ${versionId} ORDER BY kind, digest`),
  /** Versions that declare a dependency on `digest`. */
  dependents: (db: Db, digest: string) => db.all<{ version_id: number }>(sql`SELECT DISTINCT version_id FROM dependencies WHERE digest = ${digest}`).map((r) => r.version_id),
};
