import { mkdir } from 'node:fs/promises';
import { toTimestamp } from '@airlock/shared/common';
import { ContentStore } from '@airlock/shared/node';
import { openDatabase, type Db } from './db/database.js';
import type { Home } from './home.js';

/** An open registry: the database, the blob store and a clock. Services take it as their first argument. */
export interface Registry {
  home: Home;
  db: Db;
  store: ContentStore;
  /** ISO 8601 UTC, seconds precision: the time every record and audit event carries */
  now(): string;
  close(): void;
}

export async function openRegistry(home: Home, opts: { create?: boolean; clock?: () => Date } = {}): Promise<Registry> {
  if (opts.create) await mkdir(home.dir, { recursive: true, mode: 0o700 });
  const db = openDatabase(home.db, { create: opts.create ?? false });
  const store = await ContentStore.open(home.dir);
  const clock = opts.clock ?? (() => new Date());
  return { home, db, store, now: () => toTimestamp(clock()), close: () => db.close() };
}
