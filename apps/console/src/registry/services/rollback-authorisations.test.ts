import { beforeAll, describe, expect, it } from 'vitest';
import {
  ROLLBACK_AUTHORISATION_PAYLOAD_TYPE,
  RollbackAuthorisationSchema,
  roleKeys,
  utf8Decode,
  verifyEnvelope,
} from '@airlock/shared/common';
import { churnVariant, makeRegistry, PASSPHRASE, type TestRegistry } from '../../../../../test/helpers/registry.js';
import { enrollment, hostKey } from '../../../../../test/helpers/hosts.js';
import { useSuiteTempDirs } from '../../../../../test/helpers/tmp.js';
import { listAudit } from '../audit.js';
import { unlock } from '../auth.js';
import { versions } from '../repos/versions.js';
import { readRoots } from '../roots.js';
import { createEnvironment } from './environments.js';
import { enrollHost } from './hosts.js';
import { importModel } from './import.js';
import { transitionVersion } from './lifecycle.js';
import { authoriseRollback } from './rollback-authorisations.js';
import { addUser } from './users.js';

const suiteDir = useSuiteTempDirs();
let t: TestRegistry;

beforeAll(async () => {
  t = await makeRegistry(await suiteDir());
  for (const tag of ['v1', 'v2', 'v3']) await importModel(t.reg, t.as.bob, { path: await churnVariant(await suiteDir(), tag), model: 'churn' });
  await transitionVersion(t.reg, t.as.alice, 'churn@2', 'revoked', 'leaks training data');
  await transitionVersion(t.reg, t.as.olga, 'churn@3', 'quarantined', 'under investigation');
  createEnvironment(t.reg, t.as.alice, { name: 'prod', tier: 1, policy: {} });
  enrollHost(t.reg, t.as.olga, enrollment(hostKey('plant-2-gpu-1')));
  await addUser(t.reg, t.as.alice, { name: 'adam', roles: ['admin'], passphrase: PASSPHRASE });
});

const base = { version: 'churn@1', env: 'prod', reason: 'v2 mis-scores annual contracts', validHours: 24 };

describe('rollback authorisations', () => {
  it('are signed by an approver key of the newest root, name one exact version, and are audited', async () => {
    const { authorisation: a, envelope } = await authoriseRollback(t.reg, t.as.carol, { ...base, hosts: ['plant-2-gpu-1'], slot: 'scoring' });
    const root = (await readRoots(t.reg.home)).at(-1)!.root;
    const { payload } = verifyEnvelope(envelope, ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, roleKeys(root, 'approver'), 'rollback authorisation');
    expect(RollbackAuthorisationSchema.parse(JSON.parse(utf8Decode(payload)))).toEqual(a);
    const v1 = versions.byNumber(t.reg.db, 'churn', 1)!;
    expect(a).toMatchObject({ targets: { hosts: ['plant-2-gpu-1'], environment: 'prod' }, slot: 'scoring', model: 'churn', version: 1, versionDigest: v1.digest, issuedBy: 'carol', reason: base.reason });
    expect(Date.parse(a.expiresAt) - Date.parse(a.issuedAt)).toBe(24 * 3_600_000);
    expect(listAudit(t.reg, { limit: 1 })[0]).toMatchObject({ actor: 'carol', action: 'rollback.authorise', subject: 'version:churn@1', details: { id: a.id, slot: 'scoring', expiresAt: a.expiresAt } });
  });

  it('get a fresh id each time, and the slot defaults to the model name', async () => {
    const one = await authoriseRollback(t.reg, t.as.dave, base);
    const two = await authoriseRollback(t.reg, t.as.dave, base);
    expect(one.authorisation.id).not.toBe(two.authorisation.id);
    expect(one.authorisation.slot).toBe('churn');
  });

  it.each<[string, keyof TestRegistry['as'] | 'adam', Partial<typeof base> & { hosts?: string[] }, string]>([
    ['a version that does not exist', 'carol', { version: 'churn@9' }, 'NOT_FOUND'],
    ['a revoked version', 'carol', { version: 'churn@2' }, 'ILLEGAL_TRANSITION'],
    ['a quarantined version', 'carol', { version: 'churn@3' }, 'ILLEGAL_TRANSITION'],
    ['no hosts and no environment', 'carol', { env: undefined }, 'USAGE'],
    ['an unknown environment', 'carol', { env: 'staging' }, 'NOT_FOUND'],
    ['an unknown host', 'carol', { hosts: ['nobody'] }, 'HOST_UNKNOWN'],
    ['no validity', 'carol', { validHours: 0 }, 'USAGE'],
    ['a validity over 30 days', 'carol', { validHours: 721 }, 'USAGE'],
    ['an operator', 'olga', {}, 'FORBIDDEN'],
    ['an ml-engineer', 'bob', {}, 'FORBIDDEN'],
    ['an admin whose key hosts do not trust as an approver', 'adam', {}, 'FORBIDDEN'],
  ])('are refused for %s, and nothing is recorded', async (_what, user, change, code) => {
    const actor = user === 'adam' ? await unlock(t.reg, 'adam', PASSPHRASE) : t.as[user];
    const before = listAudit(t.reg, { limit: 1 })[0]!.seq;
    const { env, ...rest } = { ...base, ...change };
    await expect(authoriseRollback(t.reg, actor, { ...rest, ...(env ? { env } : {}) })).rejects.toMatchObject({ code });
    expect(listAudit(t.reg, { limit: 1 })[0]!.seq).toBe(before);
  });
});
