/**
 * Seals: no row is believed because it is in the database (DESIGN §4.2).
 *
 * Triggers stop mistakes and other tools, but whoever holds the file can drop them. So from this
 * version on every change records, in its signed and chained audit event, the content of each row it
 * wrote (`audit_events.rows`), and `airlock verify` compares every row of every table with its newest
 * seal. What may change after a row exists is written down once, in `../tables.ts`:
 *
 * | kind        | tables                                                                  | rule                                    |
 * |-------------|-------------------------------------------------------------------------|-----------------------------------------|
 * | write-once  | versions, components, dependencies, evaluations, approvals, deployments, reports, audit_events | never updated, never deleted |
 * | history     | version_status, promotions, activations, reviews, channels, deployment_hosts | only status columns move, each move sealed |
 * | annotation  | users (roles), environments (policy, secrets), overlays, models (description), model_tags, hosts | every change audited and sealed |
 *
 * Rows that decide who may do what — users.roles, environments.policy and secrets, overlays — are
 * "annotation": bound by the seal of the audited change that set them, which `verify` checks and
 * which promote, deploy and every signed-in call check again for the rows they act on.
 *
 * This migration also:
 * - refuses INSERT OR REPLACE on every protected table: SQLite deletes the conflicting row without
 *   firing DELETE triggers (unless recursive_triggers is on, which other tools do not turn on), so
 *   a BEFORE INSERT trigger refuses any insert whose key or unique columns already exist;
 * - fixes the key columns the first schemas left movable (ids, names, tiers, overlay and tag keys);
 * - keeps each report's signed envelope, so its host signature can be checked again;
 * - names where an evaluation came from: `executed` (the registry ran the suite) or `reported`.
 */
const refuse = (why: string) => `BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: ${why}'); END;`;

/** A BEFORE INSERT trigger that refuses an insert colliding with an existing row (REPLACE would delete it). */
const noReplace = (table: string, collides: string) =>
  `CREATE TRIGGER ${table}_no_replace BEFORE INSERT ON ${table} WHEN EXISTS (SELECT 1 FROM ${table} WHERE ${collides})
${refuse(`${table} rows are never replaced`)}`;

export const m0003 = {
  version: 3,
  name: 'seals',
  up: `
ALTER TABLE audit_events ADD COLUMN rows TEXT NOT NULL DEFAULT '[]';

CREATE TABLE row_seals (
  tbl TEXT NOT NULL,
  key TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (tbl, key)
) STRICT, WITHOUT ROWID;

ALTER TABLE reports ADD COLUMN envelope TEXT;

DROP TRIGGER evaluations_no_update;
UPDATE evaluations SET source = CASE source WHEN 'run' THEN 'executed' ELSE 'reported' END;
CREATE TRIGGER evaluations_no_update BEFORE UPDATE ON evaluations ${refuse('evaluations rows are write-once')}

${noReplace('users', 'id = NEW.id OR name = NEW.name OR key_id = NEW.key_id')}
${noReplace('models', 'id = NEW.id OR name = NEW.name')}
${noReplace('versions', 'id = NEW.id OR digest = NEW.digest OR (model_id = NEW.model_id AND number = NEW.number)')}
${noReplace('version_status', 'version_id = NEW.version_id')}
${noReplace('components', 'version_id = NEW.version_id AND path = NEW.path')}
${noReplace('dependencies', 'version_id = NEW.version_id AND kind = NEW.kind AND digest = NEW.digest')}
${noReplace('evaluations', 'id = NEW.id')}
${noReplace('environments', 'id = NEW.id OR name = NEW.name')}
${noReplace('promotions', 'id = NEW.id')}
${noReplace('approvals', 'id = NEW.id OR (promotion_id = NEW.promotion_id AND user_id = NEW.user_id)')}
${noReplace('activations', 'id = NEW.id OR (env_id = NEW.env_id AND model_id = NEW.model_id AND ended_at IS NULL AND NEW.ended_at IS NULL)')}
${noReplace('reviews', 'id = NEW.id')}
${noReplace('audit_events', 'seq = NEW.seq')}
${noReplace('hosts', 'id = NEW.id OR (host_id = NEW.host_id AND revoked_at IS NULL AND NEW.revoked_at IS NULL)')}
${noReplace('deployments', 'id = NEW.id OR bundle_id = NEW.bundle_id OR (channel = NEW.channel AND sequence = NEW.sequence)')}
${noReplace('reports', 'digest = NEW.digest OR (host = NEW.host AND seq = NEW.seq)')}

CREATE TRIGGER users_id_fixed BEFORE UPDATE OF id ON users ${refuse("a user''s id never changes")}
CREATE TRIGGER model_tags_no_update BEFORE UPDATE ON model_tags ${refuse('a tag is removed and added, never edited')}
CREATE TRIGGER version_status_key_fixed BEFORE UPDATE OF version_id ON version_status ${refuse('a status belongs to one version')}
CREATE TRIGGER environments_identity_fixed BEFORE UPDATE OF id, name, tier, created_at ON environments ${refuse("an environment''s name and tier never change")}
CREATE TRIGGER overlays_key_fixed BEFORE UPDATE OF env_id, model_id ON overlays ${refuse('an overlay belongs to one environment and model')}
CREATE TRIGGER overlays_no_delete BEFORE DELETE ON overlays ${refuse('overlays are replaced, never deleted')}
CREATE TRIGGER reviews_id_fixed BEFORE UPDATE OF id ON reviews ${refuse("a review item''s id never changes")}
CREATE TRIGGER hosts_id_fixed BEFORE UPDATE OF id ON hosts ${refuse("a host''s id never changes")}
CREATE TRIGGER channels_name_fixed BEFORE UPDATE OF name ON channels ${refuse("a channel''s name never changes")}
CREATE TRIGGER channels_sequence_rises BEFORE UPDATE OF sequence ON channels WHEN NEW.sequence <= OLD.sequence ${refuse('a channel sequence only rises')}
CREATE TRIGGER channels_no_delete BEFORE DELETE ON channels ${refuse('channels are never deleted')}
CREATE TRIGGER deployment_hosts_key_fixed BEFORE UPDATE OF deployment_id, host ON deployment_hosts ${refuse('a deployment target never moves')}
CREATE TRIGGER deployment_hosts_no_delete BEFORE DELETE ON deployment_hosts ${refuse('deployment targets are never deleted')}
`,
};
