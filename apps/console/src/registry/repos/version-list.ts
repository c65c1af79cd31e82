import { join, raw, sql, type Sql } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { VersionState } from '../../api/enums.js';

export interface VersionListFilter {
  /** part of the model's name, or one of its tags */
  text?: string;
  tag?: string;
  kind?: string;
  state?: VersionState;
  /** only versions active in some environment */
  active?: boolean;
}

export type VersionSort = 'model' | 'number' | 'kind' | 'tags' | 'state' | 'created' | 'active';

export interface VersionListRow {
  model: string;
  number: number;
  kind: string;
  state: VersionState;
  flag: string | null;
  digest: string;
  created_at: string;
  tags: string | null;
  active: string | null;
}

/** The sort keys the caller may name, mapped to SQL the code wrote: never the caller's text. */
const ORDER: Record<VersionSort, string> = {
  model: 'm.name',
  number: 'v.number',
  kind: 'm.kind',
  tags: 'tags IS NULL, tags',
  state: 's.state',
  created: 'v.created_at',
  active: 'active IS NULL, active',
};

const TAGS = sql`(SELECT group_concat(tag, ',') FROM model_tags t WHERE t.model_id = m.id)`;
const ACTIVE = sql`(SELECT group_concat(e.name, ',') FROM activations a JOIN environments e ON e.id = a.env_id WHERE a.version_id = v.id AND a.ended_at IS NULL)`;

/**
 * Text and tag filters narrow the models first, in subqueries SQLite evaluates once, so that 100,000
 * versions are not each matched against the text.
 */
function where(f: VersionListFilter): Sql {
  const parts: Sql[] = [sql`1`];
  if (f.text) {
    const needle = f.text.toLowerCase();
    parts.push(sql`m.id IN (SELECT id FROM models WHERE instr(lower(name), ${needle}) > 0 UNION SELECT model_id FROM model_tags WHERE tag = ${needle})`);
  }
  if (f.tag) parts.push(sql`m.id IN (SELECT model_id FROM model_tags WHERE tag = ${f.tag})`);
  if (f.kind) parts.push(sql`m.kind = ${f.kind}`);
  if (f.state) parts.push(sql`s.state = ${f.state}`);
  if (f.active) parts.push(sql`EXISTS (SELECT 1 FROM activations a WHERE a.version_id = v.id AND a.ended_at IS NULL)`);
  return join(parts, ' AND ');
}

const FROM = sql`FROM versions v JOIN models m ON m.id = v.model_id JOIN version_status s ON s.version_id = v.id`;

/** One page of every version of every model, filtered and sorted in SQL: the console's list at 100,000 versions. */
export const versionList = {
  page(db: Db, f: VersionListFilter, sort: VersionSort, descending: boolean, offset: number, limit: number): VersionListRow[] {
    const dir = descending ? ' DESC' : '';
    // Descending reverses the whole order, ties included, so a page and its reverse hold the same rows.
    const order = raw([...ORDER[sort].split(', '), 'm.name', 'v.number'].map((c) => c + dir).join(', '));
    // Two steps: the page's ids in order (only the sort's own columns computed for every row), then
    // the page's details for those ids alone — not tags and activity for all 100,000 rows being sorted.
    const sortColumns = sort === 'tags' ? sql`, ${TAGS} AS tags` : sort === 'active' ? sql`, ${ACTIVE} AS active` : sql``;
    const ids = db.all<{ id: number }>(sql`SELECT v.id ${sortColumns} ${FROM} WHERE ${where(f)} ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`).map((r) => r.id);
    if (ids.length === 0) return [];
    const rows = db.all<VersionListRow & { id: number }>(sql`SELECT v.id, m.name AS model, v.number, m.kind, s.state, s.flag, v.digest, v.created_at, ${TAGS} AS tags, ${ACTIVE} AS active
      ${FROM} WHERE v.id IN (${join(ids.map((id) => sql`${id}`), ', ')})`);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => {
      const { id: _id, ...row } = byId.get(id)!;
      return row;
    });
  },
  count: (db: Db, f: VersionListFilter) => db.get<{ n: number }>(sql`SELECT count(*) AS n ${FROM} WHERE ${where(f)}`)!.n,
};
