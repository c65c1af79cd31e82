import Database from 'better-sqlite3';
import { AirlockError } from '@airlock/shared/common';
import { MIGRATIONS } from './migrations/index.js';
import { installSealTriggers } from './seals.js';
import type { Sql } from './sql.js';

type Statement = Database.Statement<unknown[], unknown>;

/** better-sqlite3 behind the `sql` template: cached statements, immediate transactions. */
export class Db {
  private readonly cache = new Map<string, Statement>();

  constructor(readonly raw: Database.Database) {}

  private prepare(q: Sql): Statement {
    let stmt = this.cache.get(q.text);
    if (!stmt) {
      stmt = this.raw.prepare(q.text);
      this.cache.set(q.text, stmt);
    }
    return stmt;
  }

  all<T>(q: Sql): T[] {
    return this.prepare(q).all(...q.values) as T[];
  }

  get<T>(q: Sql): T | undefined {
    return this.prepare(q).get(...q.values) as T | undefined;
  }

  run(q: Sql): Database.RunResult {
    return this.prepare(q).run(...q.values);
  }

  /**
   * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken up front, so two processes
   * never both read-then-write (the audit chain's previous hash, a version number) and collide.
   */
  transaction<T>(fn: () => T): T {
    return this.raw.transaction(fn).immediate();
  }

  close(): void {
    this.raw.close();
  }
}

export const LATEST_SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (and migrates) the registry database. A database from a newer Airlock is refused. */
export function openDatabase(path: string, opts: { create?: boolean } = {}): Db {
  let raw: Database.Database;
  try {
    raw = new Database(path, { fileMustExist: !opts.create });
  } catch (err) {
    throw new AirlockError('REGISTRY_NOT_FOUND', `No registry database at ${path}: run \`airlock init\` first (${(err as Error).message}).`);
  }
  raw.pragma('journal_mode = WAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 10000');
  raw.pragma('synchronous = NORMAL');
  const db = new Db(raw);
  try {
    migrate(db);
    installSealTriggers(db);
  } catch (err) {
    raw.close();
    throw err;
  }
  return db;
}

export function migrate(db: Db, target = LATEST_SCHEMA_VERSION): void {
  const current = db.raw.pragma('user_version', { simple: true }) as number;
  if (current > LATEST_SCHEMA_VERSION) {
    throw new AirlockError(
      'REGISTRY_TOO_NEW',
      `The registry database is at schema version ${current}; this Airlock knows up to ${LATEST_SCHEMA_VERSION}. Upgrade Airlock; the database was not changed.`,
    );
  }
  for (const m of MIGRATIONS.slice(current, target)) {
    db.transaction(() => {
      db.raw.exec(m.up);
      db.raw.pragma(`user_version = ${m.version}`);
    });
  }
}
