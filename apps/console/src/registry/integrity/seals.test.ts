import { beforeAll, describe, expect, it } from 'vitest';
import { useSuiteTempDirs } from '../../../../../test/helpers/tmp.js';
import { makeWorld, type World } from '../../../../../test/helpers/world.js';
import { sql } from '../db/sql.js';
import { SEALED_TABLES, TABLES, UNSEALED_TABLES } from '../db/tables.js';
import { verifyRegistry, type Problem } from '../services/integrity.js';

/**
 * Written out from DESIGN §4.2, independently of `tables.ts`: the columns a later, audited change may
 * set once a row exists. Every other column of every table is fixed, and a trigger refuses to change it.
 * No column is exempt from the seals: even what reports refresh (last seen, status, blob inventory) is
 * written by the audited report import.
 */
const MAY_CHANGE: Record<string, string[]> = {
  users: ['roles', 'disabled_at'],
  models: ['description'],
  model_tags: [],
  versions: [],
  version_status: ['state', 'changed_at', 'flag'],
  components: [],
  dependencies: [],
  evaluations: [],
  environments: ['policy', 'secrets'],
  overlays: ['config', 'updated_at'],
  promotions: ['state', 'updated_at'],
  approvals: [],
  activations: ['ended_at', 'ended_by'],
  reviews: ['resolved_at', 'resolved_by', 'note'],
  hosts: ['env_id', 'labels', 'facts', 'revoked_at', 'last_seen', 'last_status'],
  channels: ['sequence'],
  deployments: [],
  deployment_hosts: ['state', 'code', 'updated_at'],
  reports: [],
  retraining_requests: [],
};

const suiteDir = useSuiteTempDirs();
let w: World;

interface Column {
  name: string;
  type: string;
  pk: number;
}

const columnsOf = (table: string) => w.reg.db.all<Column>(sql`SELECT name, type, pk FROM pragma_table_info(${table})`);
const firstRow = (table: string) => w.reg.db.raw.prepare(`SELECT * FROM ${table} LIMIT 1`).get() as Record<string, unknown>;
const keyCols = (table: string) => columnsOf(table).filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
/** Columns of the key and of every unique index: a copy must differ in all of them to be inserted. */
const uniqueCols = (table: string) => [
  ...keyCols(table),
  ...w.reg.db
    .all<{ name: string; unique: number }>(sql`SELECT name, "unique" FROM pragma_index_list(${table})`)
    .filter((i) => i.unique)
    .flatMap((i) => w.reg.db.all<{ name: string | null }>(sql`SELECT name FROM pragma_index_info(${i.name})`).map((c) => c.name))
    .filter((c): c is string => c !== null),
];
const whereKey = (table: string, row: Record<string, unknown>) => ({ text: keyCols(table).map((c) => `${c} = ?`).join(' AND '), values: keyCols(table).map((c) => row[c]) });

/** A different value of the same type: what an edit with the sqlite3 shell would write. */
function changed(col: Column, v: unknown): unknown {
  if (typeof v === 'number') return v + 7;
  if (typeof v === 'string') return `${v}-x`;
  return col.type === 'INTEGER' ? 7 : 'x';
}

function update(table: string, col: Column): void {
  const row = firstRow(table);
  const where = whereKey(table, row);
  w.reg.db.raw.prepare(`UPDATE ${table} SET ${col.name} = ? WHERE ${where.text}`).run(changed(col, row[col.name]), ...where.values);
}

/** Runs `edit` with every trigger dropped (as an attacker holding the file would), verifies, and undoes it all. */
async function verifyAfter(edit: () => void): Promise<Problem[]> {
  const triggers = w.reg.db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'trigger'`);
  w.reg.db.raw.exec('BEGIN');
  try {
    for (const t of triggers) w.reg.db.raw.exec(`DROP TRIGGER ${t.name}`);
    edit();
    w.reg.db.raw.exec('DELETE FROM temp.changed_rows');
    return (await verifyRegistry(w.reg, w.as.aud)).problems;
  } finally {
    w.reg.db.raw.exec('ROLLBACK');
  }
}

const rowProblems = (problems: Problem[], table: string) => problems.filter((p) => p.details?.table === table);

beforeAll(async () => {
  w = await makeWorld(await suiteDir());
  // An attacker's connection does not enforce foreign keys; neither does this one from here on.
  w.reg.db.raw.pragma('foreign_keys = OFF');
}, 60_000);

describe('seals: every row of every table is held to the audited change that wrote it', () => {
  it('covers every table of the schema, each with a row in the test world, and agrees with the rules in tables.ts', async () => {
    const tables = w.reg.db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).map((r) => r.name);
    expect(tables.sort()).toEqual([...Object.keys(MAY_CHANGE), ...Object.keys(UNSEALED_TABLES)].sort());
    for (const table of SEALED_TABLES) {
      expect(firstRow(table), `a row in ${table}`).toBeDefined();
      expect([...TABLES[table].mutable].sort(), `mutable columns of ${table}`).toEqual([...MAY_CHANGE[table]!].sort());
      expect([...TABLES[table].key], `key of ${table}`).toEqual(keyCols(table));
    }
    expect((await verifyRegistry(w.reg, w.as.aud)).problems).toEqual([]);
  });

  it.each(Object.keys(MAY_CHANGE))('%s: a trigger refuses every fixed column; verify names the row and column of any edit once the triggers are gone', async (table) => {
    for (const col of columnsOf(table)) {
      const mutable = MAY_CHANGE[table]!.includes(col.name);
      const attempt = () => {
        w.reg.db.raw.exec('SAVEPOINT attempt');
        try {
          update(table, col);
        } finally {
          w.reg.db.raw.exec('ROLLBACK TO attempt');
          w.reg.db.raw.exec('RELEASE attempt');
        }
      };
      if (mutable) expect(attempt, `${table}.${col.name} may change`).not.toThrow();
      else expect(attempt, `${table}.${col.name} is fixed`).toThrow(/IMMUTABLE/);

      const found = rowProblems(await verifyAfter(() => update(table, col)), table);
      if (col.pk > 0) {
        // The row moved to another key: its old key is gone and the new one was never sealed.
        expect(found.map((p) => p.message).sort(), `${table}.${col.name}`).toEqual([expect.stringMatching(/removed behind Airlock's back/), expect.stringMatching(/written outside Airlock/)]);
      } else {
        expect(found, `${table}.${col.name}`).toHaveLength(1);
        expect(found[0]!.details, `${table}.${col.name}`).toMatchObject({ table, columns: [col.name] });
      }
    }
  }, 60_000);

  it.each(Object.keys(MAY_CHANGE))('%s: a deleted row and an inserted row are both reported', async (table) => {
    const deleted = rowProblems(await verifyAfter(() => {
      const row = firstRow(table);
      const where = whereKey(table, row);
      w.reg.db.raw.prepare(`DELETE FROM ${table} WHERE ${where.text}`).run(...where.values);
    }), table);
    expect(deleted.map((p) => p.message)).toEqual([expect.stringMatching(/removed behind Airlock's back/)]);

    const inserted = rowProblems(await verifyAfter(() => {
      const row = firstRow(table);
      const copy = Object.fromEntries(Object.entries(row).map(([c, v]) => [c, uniqueCols(table).includes(c) ? changed(columnsOf(table).find((x) => x.name === c)!, v) : v]));
      w.reg.db.raw.prepare(`INSERT INTO ${table} (${Object.keys(copy).join(', ')}) VALUES (${Object.keys(copy).map(() => '?').join(', ')})`).run(...Object.values(copy));
    }), table);
    expect(inserted.map((p) => p.message)).toEqual([expect.stringMatching(/written outside Airlock/)]);
  }, 30_000);
});
