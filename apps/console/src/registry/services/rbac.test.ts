import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAST, CHURN, makeRegistry, type TestRegistry } from '../../../../../test/helpers/registry.js';
import { useSuiteTempDirs } from '../../../../../test/helpers/tmp.js';
import type { SigningActor } from '../auth.js';
import type { Role } from '../repos/users.js';
import { createEnvironment, setOverlay, setPolicy, setSecrets } from './environments.js';
import { recordEvaluation, runEvaluation } from './evaluations.js';
import { importModel } from './import.js';
import { transitionVersion } from './lifecycle.js';
import { annotateModel } from './models.js';
import { decidePromotion, requestPromotion, rollback, withdrawPromotion } from './promotions.js';
import { resolveReview } from './reviews.js';
import { addUser } from './users.js';
import { createDeployment, exportBundle } from './deployments.js';
import { assignHost, enrollHost, revokeHost } from './hosts.js';
import { importReports } from './reports.js';
import { authoriseRollback } from './rollback-authorisations.js';
import { collectGarbage } from './store-gc.js';
import { enrollment, hostKey } from '../../../../../test/helpers/hosts.js';

const suiteDir = useSuiteTempDirs();
let t: TestRegistry;
let other: string;

beforeAll(async () => {
  t = await makeRegistry(await suiteDir());
  await importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn' });
  createEnvironment(t.reg, t.as.alice, { name: 'prod', tier: 1, policy: { approvals: 1 } });
  other = join(await suiteDir(), 'other.bin');
  await writeFile(other, 'another model');
});

let n = 0;
/** Every call that changes the registry, and the roles that may make it: the access policy as a table. */
const CALLS: [string, Role[], (a: SigningActor) => unknown][] = [
  ['user add', ['admin'], (a) => addUser(t.reg, a, { name: `u${n++}`, roles: ['auditor'], passphrase: 'p' })],
  ['model import', ['admin', 'ml-engineer'], (a) => importModel(t.reg, a, { path: other, model: `m${n++}` })],
  ['model annotate', ['admin', 'ml-engineer'], (a) => annotateModel(t.reg, a, 'churn', { addTags: ['x'] })],
  ['version validate', ['admin', 'ml-engineer'], (a) => transitionVersion(t.reg, a, 'churn@1', 'validated', 'r')],
  ['version deprecate', ['admin', 'ml-engineer'], (a) => transitionVersion(t.reg, a, 'churn@1', 'deprecated', 'r')],
  ['version quarantine', ['admin', 'operator', 'approver'], (a) => transitionVersion(t.reg, a, 'churn@1', 'quarantined', 'r')],
  ['version revoke', ['admin'], (a) => transitionVersion(t.reg, a, `m-none@1`, 'revoked', 'r')],
  ['env create', ['admin'], (a) => createEnvironment(t.reg, a, { name: `e${n++}`, tier: 2, policy: {} })],
  ['env policy', ['admin'], (a) => setPolicy(t.reg, a, 'prod', { approvals: 1 })],
  ['env secrets', ['admin', 'operator'], (a) => setSecrets(t.reg, a, 'prod', ['DB_PASSWORD'])],
  ['env overlay', ['admin', 'operator'], (a) => setOverlay(t.reg, a, 'prod', 'churn', { threshold: 0.4 })],
  ['eval record', ['admin', 'ml-engineer'], (a) => recordEvaluation(t.reg, a, 'churn@1', 'holdout', { metrics: { accuracy: 0.9 } })],
  ['eval run', ['admin', 'ml-engineer'], (a) => runEvaluation(t.reg, a, 'churn@1', 'no-such-suite')],
  ['promote request', ['admin', 'ml-engineer'], (a) => requestPromotion(t.reg, a, 'churn@1', 'prod')],
  ['promote withdraw', ['admin', 'ml-engineer'], (a) => withdrawPromotion(t.reg, a, 999, 'r')],
  ['promote approve', ['admin', 'approver'], (a) => decidePromotion(t.reg, a, 999, 'approve')],
  ['promote reject', ['admin', 'approver'], (a) => decidePromotion(t.reg, a, 999, 'reject')],
  ['rollback', ['admin', 'operator'], (a) => rollback(t.reg, a, 'churn', 'prod', 'r')],
  ['review resolve', ['admin', 'approver', 'operator'], (a) => resolveReview(t.reg, a, 999, 'done')],
  ['host enroll', ['admin', 'operator'], (a) => enrollHost(t.reg, a, enrollment(hostKey(`h${n++}`)))],
  ['host assign', ['admin', 'operator'], (a) => assignHost(t.reg, a, 'no-such-host', 'prod')],
  ['host revoke', ['admin'], (a) => revokeHost(t.reg, a, 'no-such-host', 'r')],
  ['deploy create', ['admin', 'operator'], (a) => createDeployment(t.reg, a, { model: 'churn', env: 'prod' })],
  ['bundle export', ['admin', 'operator'], (a) => exportBundle(t.reg, a, 999, other, { delta: 'none' })],
  ['reports import', ['admin', 'operator'], (a) => importReports(t.reg, a, '/nonexistent')],
  ['store gc', ['admin'], (a) => collectGarbage(t.reg, a, { minAgeMs: 3_600_000 })],
  ['rollback authorise', ['admin', 'approver'], (a) => authoriseRollback(t.reg, a, { version: 'churn@1', env: 'prod', reason: 'r', validHours: 24 })],
];

const cases = CALLS.flatMap(([call, roles, fn]) => Object.entries(CAST).map(([user, userRoles]) => [call, user, userRoles.some((r: Role) => roles.includes(r)), fn] as const));

describe('every mutating call as every role', () => {
  it.each(cases)('%s as %s: allowed = %s', async (_call, user, allowed, fn) => {
    const code = await Promise.resolve()
      .then(() => fn(t.as[user as keyof typeof CAST]))
      .then(
        () => 'ok',
        (err: { code?: string }) => err.code ?? String(err),
      );
    if (allowed) expect(code).not.toBe('FORBIDDEN');
    else expect(code).toBe('FORBIDDEN');
  });
});
