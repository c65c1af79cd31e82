import type { Component } from '@airlock/shared/common';
import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export const components = {
  insert: (db: Db, versionId: number, c: Component) =>
    db.run(sql`INSERT INTO components (version_id, path, role, digest, size) VALUES (${versionId}, ${c.path}, ${c.role}, ${c.digest}, ${c.size})`),
  of: (db: Db, versionId: number) => db.all<Component>(sql`SELECT role, path, digest, size FROM components WHERE version_id = ${versionId} ORDER BY path`),
  /** Every distinct blob any version references, with the size it must have. */
  allBlobs: (db: Db) => db.all<{ digest: string; size: number }>(sql`SELECT DISTINCT digest, size FROM components ORDER BY digest`),
};
