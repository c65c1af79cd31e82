/**
 * The fleet: enrolled hosts, channel sequences, deployments with their expected outcome per host, and
 * the signed reports imported from hosts (write-once, named by digest, so a re-import changes nothing).
 */
export const m0002 = {
  version: 2,
  name: 'fleet',
  up: `
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  host_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  public_key TEXT NOT NULL,
  env_id INTEGER REFERENCES environments(id),
  labels TEXT NOT NULL,
  facts TEXT NOT NULL,
  enrolled_at TEXT NOT NULL,
  revoked_at TEXT,
  last_seen TEXT,
  last_status TEXT
) STRICT;
CREATE UNIQUE INDEX hosts_one_active ON hosts(host_id) WHERE revoked_at IS NULL;
CREATE TRIGGER hosts_key_fixed BEFORE UPDATE OF host_id, key_id, public_key, enrolled_at ON hosts
BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: a host''s id and key never change; revoke it and enroll again'); END;
CREATE TRIGGER hosts_no_delete BEFORE DELETE ON hosts BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: hosts are revoked, never deleted'); END;

CREATE TABLE channels (
  name TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL
) STRICT;

CREATE TABLE deployments (
  id INTEGER PRIMARY KEY,
  env_id INTEGER NOT NULL REFERENCES environments(id),
  version_id INTEGER NOT NULL REFERENCES versions(id),
  slot TEXT NOT NULL,
  channel TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  bundle_id TEXT NOT NULL UNIQUE,
  manifest TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  UNIQUE (channel, sequence)
) STRICT;
CREATE TRIGGER deployments_no_update BEFORE UPDATE ON deployments BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: deployments rows are write-once'); END;
CREATE TRIGGER deployments_no_delete BEFORE DELETE ON deployments BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: deployments rows are write-once'); END;

CREATE TABLE deployment_hosts (
  deployment_id INTEGER NOT NULL REFERENCES deployments(id),
  host INTEGER NOT NULL REFERENCES hosts(id),
  state TEXT NOT NULL,
  code TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (deployment_id, host)
) STRICT;

CREATE TABLE reports (
  digest TEXT PRIMARY KEY,
  host INTEGER NOT NULL REFERENCES hosts(id),
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  at TEXT NOT NULL,
  body TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  UNIQUE (host, seq)
) STRICT;
CREATE TRIGGER reports_no_update BEFORE UPDATE ON reports BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: reports rows are write-once'); END;
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports BEGIN SELECT RAISE(ABORT, 'IMMUTABLE: reports rows are write-once'); END;
`,
};
