import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';

export const channels = {
  /** The next sequence of a channel; call inside the transaction that uses it. */
  next(db: Db, name: string): number {
    db.run(sql`INSERT INTO channels (name, sequence) VALUES (${name}, 1) ON CONFLICT (name) DO UPDATE SET sequence = sequence + 1`);
    return db.get<{ sequence: number }>(sql`SELECT sequence FROM channels WHERE name = ${name}`)!.sequence;
  },
};
