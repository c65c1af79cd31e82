/**
 * Every table of the registry, its key, and how its rows may change (DESIGN §4.2). This is the one
 * place that says it: the seals (`seals.ts`) record each row's content in the signed audit event of
 * the change that wrote it, and `airlock verify` holds the database to these rules — so an edit made
 * with the triggers dropped, by a tool other than Airlock, or by someone holding a user's key but
 * writing SQL, is reported with its table, row and column.
 *
 * - `write-once`: content named by what it holds; never updated, never deleted.
 * - `history`: a pointer or status row; only the `mutable` columns change, each change sealed anew;
 *   with `settles`, they change once, from empty to set (an activation gains its end, a review its
 *   resolution), and never again.
 * - `annotation`: descriptions, tags, policy, roles, overlays, host assignment and the operational
 *   state reports refresh (last seen, status, blob inventory); every change is an audited, sealed
 *   change, so none of it is plain mutable.
 *
 * `audit_events` is the chain that carries the seals and checks itself; `row_seals` is an index into
 * it that `verify` does not trust.
 */
export interface TableRule {
  /** the primary key columns, in order */
  key: readonly string[];
  kind: 'write-once' | 'history' | 'annotation';
  /** the columns a later change may set; every other column is fixed once the row exists */
  mutable: readonly string[];
  /** the mutable columns go from NULL to a value once, and never change again */
  settles?: boolean;
  /** a row may be removed (a tag taken off) */
  deletable?: boolean;
  /** columns naming the user who made the change that set them: they must name the event's signer */
  actors?: readonly string[];
}

const RULES = {
  users: { key: ['id'], kind: 'annotation', mutable: ['roles', 'disabled_at'] },
  models: { key: ['id'], kind: 'annotation', mutable: ['description'], actors: ['created_by'] },
  model_tags: { key: ['model_id', 'tag'], kind: 'annotation', mutable: [], deletable: true },
  versions: { key: ['id'], kind: 'write-once', mutable: [], actors: ['created_by'] },
  version_status: { key: ['version_id'], kind: 'history', mutable: ['state', 'changed_at', 'flag'] },
  components: { key: ['version_id', 'path'], kind: 'write-once', mutable: [] },
  dependencies: { key: ['version_id', 'kind', 'digest'], kind: 'write-once', mutable: [] },
  evaluations: { key: ['id'], kind: 'write-once', mutable: [], actors: ['recorded_by'] },
  environments: { key: ['id'], kind: 'annotation', mutable: ['policy', 'secrets'] },
  overlays: { key: ['env_id', 'model_id'], kind: 'annotation', mutable: ['config', 'updated_at'] },
  promotions: { key: ['id'], kind: 'history', mutable: ['state', 'updated_at'], actors: ['requested_by'] },
  approvals: { key: ['id'], kind: 'write-once', mutable: [], actors: ['user_id'] },
  activations: { key: ['id'], kind: 'history', mutable: ['ended_at', 'ended_by'], settles: true },
  reviews: { key: ['id'], kind: 'history', mutable: ['resolved_at', 'resolved_by', 'note'], settles: true, actors: ['opened_by', 'resolved_by'] },
  hosts: { key: ['id'], kind: 'annotation', mutable: ['env_id', 'labels', 'facts', 'revoked_at', 'last_seen', 'last_status'] },
  channels: { key: ['name'], kind: 'history', mutable: ['sequence'] },
  deployments: { key: ['id'], kind: 'write-once', mutable: [], actors: ['created_by'] },
  deployment_hosts: { key: ['deployment_id', 'host'], kind: 'history', mutable: ['state', 'code', 'updated_at'] },
  reports: { key: ['digest'], kind: 'write-once', mutable: [] },
  retraining_requests: { key: ['id'], kind: 'write-once', mutable: [], actors: ['requested_by'] },
} as const satisfies Record<string, TableRule>;

export type SealedTable = keyof typeof RULES;
export const TABLES: Readonly<Record<SealedTable, TableRule>> = RULES;
export const SEALED_TABLES = Object.keys(TABLES) as SealedTable[];

/** Tables that are not sealed, and why: the chain itself, and the index into it. */
export const UNSEALED_TABLES = { audit_events: 'the signed chain that carries the seals', row_seals: 'an index into the chain, rebuilt by verify' } as const;
