/**
 * The registry's first schema. Three mutability rules (DESIGN §4.2), enforced here by triggers so that
 * no code path — not even raw SQL — can break them:
 * - content is write-once: versions, components, dependencies, evaluations, approvals, audit events;
 * - pointers move with history: activations end exactly once, and at most one is open per env+model;
 * - annotations change and are audited by the services: descriptions, tags, roles, overlays.
 */
const writeOnce = (table: string) => `
CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: ${table} rows are write-once'); END;
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: ${table} rows are write-once'); END;`;

const noDelete = (table: string) => `
CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: ${table} rows are never deleted'); END;`;

export const m0001 = {
  version: 1,
  name: 'initial',
  up: `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  roles TEXT NOT NULL,
  key_id TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  key_file TEXT NOT NULL,
  created_at TEXT NOT NULL,
  disabled_at TEXT
) STRICT;
CREATE TRIGGER users_key_fixed BEFORE UPDATE OF name, key_id, public_key, key_file, created_at ON users
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: a user''s name and key never change'); END;
${noDelete('users')}

CREATE TABLE models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id)
) STRICT;
CREATE TRIGGER models_identity_fixed BEFORE UPDATE OF id, name, kind, created_at, created_by ON models
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: a model''s name and kind never change'); END;
${noDelete('models')}

CREATE TABLE model_tags (
  model_id INTEGER NOT NULL REFERENCES models(id),
  tag TEXT NOT NULL,
  PRIMARY KEY (model_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX model_tags_by_tag ON model_tags(tag, model_id);

CREATE TABLE versions (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES models(id),
  number INTEGER NOT NULL,
  digest TEXT NOT NULL UNIQUE,
  manifest TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  UNIQUE (model_id, number)
) STRICT;
${writeOnce('versions')}

CREATE TABLE version_status (
  version_id INTEGER PRIMARY KEY REFERENCES versions(id),
  state TEXT NOT NULL,
  changed_at TEXT NOT NULL,
  flag TEXT
) STRICT;
${noDelete('version_status')}

CREATE TABLE components (
  version_id INTEGER NOT NULL REFERENCES versions(id),
  path TEXT NOT NULL,
  role TEXT NOT NULL,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (version_id, path)
) STRICT, WITHOUT ROWID;
CREATE INDEX components_by_digest ON components(digest);
${writeOnce('components')}

CREATE TABLE dependencies (
  version_id INTEGER NOT NULL REFERENCES versions(id),
  kind TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (version_id, kind, digest)
) STRICT, WITHOUT ROWID;
CREATE INDEX dependencies_by_digest ON dependencies(digest);
${writeOnce('dependencies')}

CREATE TABLE evaluations (
  id INTEGER PRIMARY KEY,
  version_id INTEGER NOT NULL REFERENCES versions(id),
  version_digest TEXT NOT NULL,
  suite TEXT NOT NULL,
  metrics TEXT NOT NULL,
  results_digest TEXT NOT NULL,
  source TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  recorded_by INTEGER NOT NULL REFERENCES users(id)
) STRICT;
CREATE INDEX evaluations_by_version ON evaluations(version_id, suite, id);
${writeOnce('evaluations')}

CREATE TABLE environments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  tier INTEGER NOT NULL,
  policy TEXT NOT NULL,
  secrets TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;
${noDelete('environments')}

CREATE TABLE overlays (
  env_id INTEGER NOT NULL REFERENCES environments(id),
  model_id INTEGER NOT NULL REFERENCES models(id),
  config TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (env_id, model_id)
) STRICT;

CREATE TABLE promotions (
  id INTEGER PRIMARY KEY,
  version_id INTEGER NOT NULL REFERENCES versions(id),
  env_id INTEGER NOT NULL REFERENCES environments(id),
  state TEXT NOT NULL,
  evidence TEXT NOT NULL,
  evidence_digest TEXT NOT NULL,
  break_glass INTEGER NOT NULL,
  requested_by INTEGER NOT NULL REFERENCES users(id),
  requested_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX promotions_by_env ON promotions(env_id, state);
CREATE TRIGGER promotions_evidence_fixed BEFORE UPDATE OF id, version_id, env_id, evidence, evidence_digest, break_glass, requested_by, requested_at ON promotions
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: a promotion''s evidence never changes'); END;
${noDelete('promotions')}

CREATE TABLE approvals (
  id INTEGER PRIMARY KEY,
  promotion_id INTEGER NOT NULL REFERENCES promotions(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  decision TEXT NOT NULL,
  evidence_digest TEXT NOT NULL,
  envelope TEXT NOT NULL,
  at TEXT NOT NULL,
  UNIQUE (promotion_id, user_id)
) STRICT;
${writeOnce('approvals')}

CREATE TABLE activations (
  id INTEGER PRIMARY KEY,
  env_id INTEGER NOT NULL REFERENCES environments(id),
  model_id INTEGER NOT NULL REFERENCES models(id),
  version_id INTEGER NOT NULL REFERENCES versions(id),
  promotion_id INTEGER NOT NULL REFERENCES promotions(id),
  activated_at TEXT NOT NULL,
  ended_at TEXT,
  ended_by INTEGER REFERENCES promotions(id)
) STRICT;
CREATE UNIQUE INDEX activations_one_open ON activations(env_id, model_id) WHERE ended_at IS NULL;
CREATE TRIGGER activations_end_once BEFORE UPDATE ON activations
WHEN OLD.ended_at IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.env_id IS NOT OLD.env_id OR NEW.model_id IS NOT OLD.model_id
  OR NEW.version_id IS NOT OLD.version_id OR NEW.promotion_id IS NOT OLD.promotion_id OR NEW.activated_at IS NOT OLD.activated_at
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: an activation only ever gains its end'); END;
${noDelete('activations')}

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  opened_by INTEGER REFERENCES users(id),
  resolved_at TEXT,
  resolved_by INTEGER REFERENCES users(id),
  note TEXT
) STRICT;
CREATE TRIGGER reviews_resolve_once BEFORE UPDATE ON reviews
WHEN OLD.resolved_at IS NOT NULL OR NEW.kind IS NOT OLD.kind OR NEW.subject IS NOT OLD.subject OR NEW.detail IS NOT OLD.detail
  OR NEW.opened_at IS NOT OLD.opened_at OR NEW.opened_by IS NOT OLD.opened_by
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: a review item only ever gains its resolution'); END;
${noDelete('reviews')}

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_by_subject ON audit_events(subject, seq);
CREATE INDEX audit_events_by_actor ON audit_events(actor, seq);
${writeOnce('audit_events')}
`,
};
