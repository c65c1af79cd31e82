import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { VersionState } from '../../api/enums.js';


export const versionStatus = {
  insert: (db: Db, versionId: number, state: VersionState, at: string) =>
    db.run(sql`INSERT INTO version_status (version_id, state, changed_at) VALUES (${versionId}, ${state}, ${at})`),
  set: (db: Db, versionId: number, state: VersionState, at: string) =>
    db.run(sql`UPDATE version_status SET state = ${state}, changed_at = ${at} WHERE version_id = ${versionId}`),
  flag: (db: Db, versionId: number, flag: string | null) => db.run(sql`UPDATE version_status SET flag = ${flag} WHERE version_id = ${versionId}`),
};
