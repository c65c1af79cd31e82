import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  buildRoot,
  fromBase64,
  HOST_RESET_PAYLOAD_TYPE,
  HostResetSchema,
  roleKeys,
  signRoot,
  utf8Decode,
  verifyEnvelope,
  type RoleName,
} from '@airlock/shared/common';
import { enrollment, hostKey, report } from '../../../../../test/helpers/hosts.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { countRows, useWorld, type World } from '../../../../../test/helpers/world.js';
import { listAudit } from '../audit.js';
import { currentRoot, readRoots, writeRoot } from '../roots.js';
import { createDeployment } from './deployments.js';
import { createEnvironment } from './environments.js';
import { issueHostReset } from './host-resets.js';
import { assignHost, enrollHost, revokeHost } from './hosts.js';
import { recordProblems } from './integrity.js';
import { requestPromotion } from './promotions.js';
import { importReports } from './reports.js';

/**
 * The world (test/helpers/world.ts) has deployed churn to host-a once (prod #1, floor 0) and imported
 * host-a's reports #1 and #2. Each test adds what it needs to a copy of it.
 */
const tempDir = useTempDirs();
const { fork } = useWorld();

const base = { host: 'host-a', reason: 'the counters file was lost with the disk', validHours: 24 };

/**
 * Two channels and two slots, whose highest values are not the newest ones: prod #2 raises churn's floor
 * to 1 and prod #3 ships floor 0 again; staging #1 ships slot scoring to host-s, which reports up to #3.
 */
async function moreHistory(w: World): Promise<void> {
  createEnvironment(w.reg, w.as.alice, { name: 'staging', tier: 0, policy: { approvals: 0 } });
  await requestPromotion(w.reg, w.as.bob, 'churn@1', 'staging');
  const s = hostKey('host-s');
  enrollHost(w.reg, w.as.olga, enrollment(s, s.signer, ['churn', 'scoring']));
  assignHost(w.reg, w.as.olga, 'host-s', 'staging');
  createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod', floor: 1 });
  createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' });
  const staged = createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'staging', slot: 'scoring', hosts: ['host-s'] });
  const stick = await tempDir();
  for (const n of [1, 2, 3]) await writeFile(join(stick, `s-${n}.json`), report(s, 'receipt', { bundleId: staged.bundleId, outcome: 'applied', slots: [], timings: {} }));
  expect(await importReports(w.reg, w.as.olga, stick)).toMatchObject({ imported: 3, rejected: [] });
}

/** Root version N+1, signed by alice's root key, in which only olga's key may sign bundles. */
async function moveReleaseRoleToOlga(w: World): Promise<void> {
  const { root } = await currentRoot(w.reg.home);
  const roles = (id: string): RoleName[] => [...(['root', 'approver'] as const).filter((r) => root.roles[r].keyids.includes(id)), ...(id === w.as.olga.signer.keyId ? (['release'] as const) : [])];
  const next = buildRoot({ version: root.version + 1, expiresAt: root.expiresAt, keys: Object.entries(root.keys).map(([id, k]) => ({ publicKey: fromBase64(k.public), roles: roles(id) })) });
  await writeRoot(w.reg.home, next, signRoot(next, [w.as.alice.signer]));
}

describe('host resets', () => {
  it("carry the highest sequence of every channel, the highest floor of every slot and the host's last report, signed by a release key, and are audited", async () => {
    const w = await fork();
    await moreHistory(w);
    const { reset, envelope } = await issueHostReset(w.reg, w.as.alice, base);

    const root = (await readRoots(w.reg.home)).at(-1)!.root;
    const { payload } = verifyEnvelope(envelope, HOST_RESET_PAYLOAD_TYPE, roleKeys(root, 'release'), 'host reset');
    expect(HostResetSchema.parse(JSON.parse(utf8Decode(payload)))).toEqual(reset);
    expect(reset).toMatchObject({ hostId: 'host-a', channels: { prod: 3, staging: 1 }, floors: { churn: 1, scoring: 0 }, reportSeq: 3, issuedBy: 'alice', reason: base.reason });
    expect(Object.keys(reset.channels).sort()).toEqual(['prod', 'staging']);
    expect(Date.parse(reset.expiresAt) - Date.parse(reset.issuedAt)).toBe(24 * 3_600_000);
    const { id, channels, floors, reportSeq, expiresAt, reason } = reset;
    expect(listAudit(w.reg, { limit: 1 })[0]).toMatchObject({ actor: 'alice', action: 'host.reset', subject: 'host:host-a', details: { id, reason, channels, floors, reportSeq, expiresAt } });
    // verify holds the new event to its action rule (host.reset, admin only, writes nothing)
    expect(recordProblems(w.reg).problems).toEqual([]);

    expect((await issueHostReset(w.reg, w.as.alice, { ...base, host: 'host-s' })).reset).toMatchObject({ hostId: 'host-s', channels: { prod: 3, staging: 1 }, reportSeq: 3 });
  });

  it('get a fresh id each time; a host that never reported starts its reports after 0', async () => {
    const w = await fork();
    enrollHost(w.reg, w.as.olga, enrollment(hostKey('host-new')));
    const one = await issueHostReset(w.reg, w.as.alice, { ...base, host: 'host-new', validHours: 1 });
    const two = await issueHostReset(w.reg, w.as.alice, { ...base, host: 'host-new', validHours: 1 });
    expect(one.reset.id).not.toBe(two.reset.id);
    expect(one.reset).toMatchObject({ channels: { prod: 1 }, floors: { churn: 0 }, reportSeq: 0 });
  });

  it("are not signed over a deployment edited behind Airlock's back (a floor lowered with the sqlite3 shell)", async () => {
    const w = await fork();
    createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod', floor: 1 });
    w.reg.db.raw.pragma('wal_checkpoint(TRUNCATE)');
    const shell = new Database(w.reg.home.db);
    try {
      shell.exec('DROP TRIGGER deployments_no_update');
      shell.exec(`UPDATE deployments SET manifest = json_set(manifest, '$.slots.churn.securityFloor', 0) WHERE sequence = 2`);
    } finally {
      shell.close();
    }
    const before = countRows(w, 'audit_events');
    await expect(issueHostReset(w.reg, w.as.alice, base)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
    expect(countRows(w, 'audit_events')).toBe(before);
  });

  it.each<[string, keyof World['as'], Partial<typeof base>, string, ((w: World) => Promise<unknown>)?]>([
    ['an unknown host', 'alice', { host: 'nobody' }, 'HOST_UNKNOWN'],
    ['a revoked host', 'alice', {}, 'HOST_UNKNOWN', async (w) => revokeHost(w.reg, w.as.alice, 'host-a', 'stolen')],
    ['no validity', 'alice', { validHours: 0 }, 'USAGE'],
    ['a validity over 30 days', 'alice', { validHours: 721 }, 'USAGE'],
    ['an operator', 'olga', {}, 'FORBIDDEN'],
    ['an approver', 'carol', {}, 'FORBIDDEN'],
    ['an ml-engineer', 'bob', {}, 'FORBIDDEN'],
    ['an auditor', 'aud', {}, 'FORBIDDEN'],
    ['an admin whose key the newest root no longer lists as a release key', 'alice', {}, 'FORBIDDEN', moveReleaseRoleToOlga],
  ])('are refused for %s, and nothing is recorded', async (_what, user, change, code, prepare) => {
    const w = await fork();
    await prepare?.(w);
    const before = countRows(w, 'audit_events');
    await expect(issueHostReset(w.reg, w.as[user], { ...base, ...change })).rejects.toMatchObject({ code });
    expect(countRows(w, 'audit_events')).toBe(before);
  });
});
