import { sql } from '../db/sql.js';
import type { Db } from '../db/database.js';
import type { DeploymentHostState } from '../../api/enums.js';

export interface DeploymentRow {
  id: number;
  env_id: number;
  version_id: number;
  slot: string;
  channel: string;
  sequence: number;
  bundle_id: string;
  manifest: string;
  created_at: string;
  created_by: number;
}


export const deployments = {
  insert(db: Db, d: Omit<DeploymentRow, 'id'>): number {
    return Number(
      db.run(sql`INSERT INTO deployments (env_id, version_id, slot, channel, sequence, bundle_id, manifest, created_at, created_by)
                 VALUES (${d.env_id}, ${d.version_id}, ${d.slot}, ${d.channel}, ${d.sequence}, ${d.bundle_id}, ${d.manifest}, ${d.created_at}, ${d.created_by})`).lastInsertRowid,
    );
  },
  byId: (db: Db, id: number) => db.get<DeploymentRow>(sql`SELECT * FROM deployments WHERE id = ${id}`),
  byBundleId: (db: Db, bundleId: string) => db.get<DeploymentRow>(sql`SELECT * FROM deployments WHERE bundle_id = ${bundleId}`),
  /** Every manifest the registry ever fixed for a bundle, oldest first: what hosts may have been sent. */
  manifests: (db: Db) => db.all<{ id: number; manifest: string }>(sql`SELECT id, manifest FROM deployments ORDER BY id`),
  list: (db: Db) =>
    db.all<DeploymentRow & { environment: string; model: string; number: number }>(sql`SELECT d.*, e.name AS environment, m.name AS model, v.number AS number
      FROM deployments d JOIN environments e ON e.id = d.env_id JOIN versions v ON v.id = d.version_id JOIN models m ON m.id = v.model_id ORDER BY d.id DESC LIMIT 500`),
};

export const deploymentHosts = {
  insert: (db: Db, deploymentId: number, host: number, at: string) =>
    db.run(sql`INSERT INTO deployment_hosts (deployment_id, host, state, updated_at) VALUES (${deploymentId}, ${host}, 'pending', ${at})`),
  set: (db: Db, deploymentId: number, host: number, state: DeploymentHostState, code: string | null, at: string) =>
    db.run(sql`UPDATE deployment_hosts SET state = ${state}, code = ${code}, updated_at = ${at} WHERE deployment_id = ${deploymentId} AND host = ${host}`),
  of: (db: Db, deploymentId: number) =>
    db.all<{ host_id: string; host: number; state: DeploymentHostState; code: string | null; updated_at: string }>(sql`SELECT h.host_id, dh.host, dh.state, dh.code, dh.updated_at
      FROM deployment_hosts dh JOIN hosts h ON h.id = dh.host WHERE dh.deployment_id = ${deploymentId} ORDER BY h.host_id`),
  /** Deployments this host applied but has not yet been seen serving healthily. */
  appliedFor: (db: Db, host: number) =>
    db.all<{ deployment_id: number; manifest: string }>(sql`SELECT dh.deployment_id, d.manifest FROM deployment_hosts dh JOIN deployments d ON d.id = dh.deployment_id WHERE dh.host = ${host} AND dh.state = 'applied'`),
  /** Deployments the host applied (and perhaps reported healthy): what it may have served. */
  takenBy: (db: Db, host: number) =>
    db.all<{ deployment_id: number; manifest: string }>(sql`SELECT dh.deployment_id, d.manifest FROM deployment_hosts dh JOIN deployments d ON d.id = dh.deployment_id WHERE dh.host = ${host} AND dh.state IN ('applied', 'healthy')`),
  pendingFor: (db: Db, host: number) => db.get<{ n: number }>(sql`SELECT count(*) AS n FROM deployment_hosts WHERE host = ${host} AND state = 'pending'`)!.n,
};
