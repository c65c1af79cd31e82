import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOfAsync } from '../../../../../test/helpers/codes.js';
import { enrollment, hostKey } from '../../../../../test/helpers/hosts.js';
import { CAST, churnVariant } from '../../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { countRows, useWorld, type World } from '../../../../../test/helpers/world.js';
import type { SigningActor } from '../auth.js';
import type { Role } from '../../api/enums.js';
import { createDeployment, exportBundle } from './deployments.js';
import { createEnvironment, setOverlay, setPolicy, setSecrets } from './environments.js';
import { recordEvaluation, runEvaluation } from './evaluations.js';
import { issueHostReset } from './host-resets.js';
import { assignHost, enrollHost, revokeHost } from './hosts.js';
import { importModel } from './import.js';
import { transitionVersion } from './lifecycle.js';
import { annotateModel } from './models.js';
import { decidePromotion, requestPromotion, rollback, withdrawPromotion } from './promotions.js';
import { importReports } from './reports.js';
import { resolveReview } from './reviews.js';
import { authoriseRollback } from './rollback-authorisations.js';
import { currentRoot } from '../roots.js';
import { proposeRoot, publishRoot, signDraftFile } from './root-ceremony.js';
import { collectGarbage } from './store-gc.js';
import { addUser, revokeUser } from './users.js';

/**
 * Every call that changes the registry, as every role. Each runs in its own copy of a world where the
 * call can succeed: churn@1 active in prod with one approval, host-a enrolled and deployed to, a review
 * item open. An allowed role must succeed (`ok`), and the change must be there; a refused role gets
 * FORBIDDEN and the registry is unchanged. The roles per call are written out from DESIGN §4.4, not
 * read from PERMISSIONS. Mutation to try: make `annotateModel` throw a TypeError for everyone, or add
 * 'auditor' to a permission in auth.ts; either turns these tests red.
 */
const tempDir = useTempDirs();
const { fork } = useWorld();

/** A second version of churn, validated and evaluated, by bob: what promotion calls act on. */
async function churn2(w: World, opts: { requested?: boolean; active?: boolean } = {}): Promise<number | undefined> {
  await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' });
  await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ready');
  recordEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout', { metrics: { accuracy: 0.95 } });
  if (!opts.requested && !opts.active) return undefined;
  const { promotion } = await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
  if (opts.active) await decidePromotion(w.reg, w.as.carol, promotion.id, 'approve');
  return promotion.id;
}

/** A draft of the next root (carol's key joins the root role), signed by alice, who holds root v1's one root key. */
async function signedDraft(w: World): Promise<string> {
  const draft = join(await tempDir(), 'root.draft.json');
  await proposeRoot(w.reg, w.as.alice, { out: draft, add: [{ role: 'root', user: 'carol' }], remove: [], thresholds: {} });
  await signDraftFile(draft, w.as.alice.signer, (await currentRoot(w.reg.home)).root);
  return draft;
}

type Call = [name: string, roles: Role[], prepare: (w: World) => Promise<unknown>, run: (w: World, a: SigningActor, prepared: never) => unknown];

const CALLS: Call[] = [
  ['user add', ['admin'], async () => undefined, (w, a) => addUser(w.reg, a, { name: 'zed', roles: ['auditor'], passphrase: 'p' })],
  ['user revoke', ['admin'], async () => undefined, (w, a) => revokeUser(w.reg, a, { name: 'olga', reason: 'left' })],
  ['model import', ['admin', 'ml-engineer'], async () => { const f = join(await tempDir(), 'other.bin'); await writeFile(f, 'another model'); return f; }, (w, a, f: string) => importModel(w.reg, a, { path: f, model: 'other', kind: 'other' })],
  ['model annotate', ['admin', 'ml-engineer'], async () => undefined, (w, a) => annotateModel(w.reg, a, 'churn', { addTags: ['reviewed'] })],
  ['version validate', ['admin', 'ml-engineer'], async (w) => importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'v2'), model: 'churn' }), (w, a) => transitionVersion(w.reg, a, 'churn@2', 'validated', 'r')],
  ['version deprecate', ['admin', 'ml-engineer'], async () => undefined, (w, a) => transitionVersion(w.reg, a, 'churn@1', 'deprecated', 'r')],
  ['version quarantine', ['admin', 'operator', 'approver'], async () => undefined, (w, a) => transitionVersion(w.reg, a, 'churn@1', 'quarantined', 'r')],
  ['version release (lift a quarantine)', ['admin', 'operator', 'approver'], (w) => transitionVersion(w.reg, w.as.carol, 'churn@1', 'quarantined', 'incident'), (w, a) => transitionVersion(w.reg, a, 'churn@1', 'registered', 'cleared')],
  ['version revoke', ['admin'], async () => undefined, (w, a) => transitionVersion(w.reg, a, 'churn@1', 'revoked', 'r')],
  ['env create', ['admin'], async () => undefined, (w, a) => createEnvironment(w.reg, a, { name: 'staging', tier: 0, policy: {} })],
  ['env policy', ['admin'], async () => undefined, (w, a) => setPolicy(w.reg, a, 'prod', { approvals: 2 })],
  ['env secrets', ['admin', 'operator'], async () => undefined, (w, a) => setSecrets(w.reg, a, 'prod', ['DB_PASSWORD'])],
  ['env overlay', ['admin', 'operator'], async () => undefined, (w, a) => setOverlay(w.reg, a, 'prod', 'churn', { threshold: 0.4 })],
  ['eval record', ['admin', 'ml-engineer'], async () => undefined, (w, a) => recordEvaluation(w.reg, a, 'churn@1', 'holdout', { metrics: { accuracy: 0.9 } })],
  ['eval run', ['admin', 'ml-engineer'], async () => undefined, (w, a) => runEvaluation(w.reg, a, 'churn@1', 'holdout')],
  ['promote request', ['admin', 'ml-engineer'], (w) => churn2(w), (w, a) => requestPromotion(w.reg, a, 'churn@2', 'prod')],
  ['promote withdraw', ['admin', 'ml-engineer'], (w) => churn2(w, { requested: true }), (w, a, id: number) => withdrawPromotion(w.reg, a, id, 'not now')],
  ['promote approve', ['admin', 'approver'], (w) => churn2(w, { requested: true }), (w, a, id: number) => decidePromotion(w.reg, a, id, 'approve')],
  ['promote reject', ['admin', 'approver'], (w) => churn2(w, { requested: true }), (w, a, id: number) => decidePromotion(w.reg, a, id, 'reject')],
  ['rollback', ['admin', 'operator'], (w) => churn2(w, { active: true }), (w, a) => rollback(w.reg, a, 'churn', 'prod', 'drill')],
  ['review resolve', ['admin', 'approver', 'operator'], async (w) => w.reg.db.get<{ id: number }>({ text: 'SELECT id FROM reviews WHERE resolved_at IS NULL', values: [] })!.id, (w, a, id: number) => resolveReview(w.reg, a, id, 'looked at it')],
  ['host enroll', ['admin', 'operator'], async () => undefined, (w, a) => enrollHost(w.reg, a, enrollment(hostKey('host-new')))],
  ['host assign', ['admin', 'operator'], async () => undefined, (w, a) => assignHost(w.reg, a, 'host-a', 'prod', { rack: '7' })],
  ['host revoke', ['admin'], async () => undefined, (w, a) => revokeHost(w.reg, a, 'host-a', 'disk replaced')],
  ['host reset', ['admin'], async () => undefined, (w, a) => issueHostReset(w.reg, a, { host: 'host-a', reason: 'counters lost', validHours: 24 })],
  ['deploy create', ['admin', 'operator'], async () => undefined, (w, a) => createDeployment(w.reg, a, { model: 'churn', env: 'prod' })],
  ['bundle export', ['admin', 'operator'], async () => tempDir(), (w, a, out: string) => exportBundle(w.reg, a, w.deploymentId, out, { delta: 'none' })],
  ['reports import', ['admin', 'operator'], async () => { const d = join(await tempDir(), 'empty'); await mkdir(d); return d; }, (w, a, d: string) => importReports(w.reg, a, d)],
  ['store gc', ['admin'], async () => undefined, (w, a) => collectGarbage(w.reg, a, { minAgeMs: 0 })],
  ['root publish', ['admin'], (w) => signedDraft(w), (w, a, draft: string) => publishRoot(w.reg, a, { draft })],
  ['rollback authorise', ['admin', 'approver'], async () => undefined, (w, a) => authoriseRollback(w.reg, a, { version: 'churn@1', env: 'prod', reason: 'r', validHours: 24 })],
];

const cases = CALLS.flatMap(([call, roles, prepare, run]) => Object.entries(CAST).map(([user, userRoles]) => [call, user, userRoles.some((r: Role) => roles.includes(r)), prepare, run] as const));

describe('every mutating call as every role', () => {
  it.each(cases)('%s as %s: allowed = %s', async (_call, user, allowed, prepare, run) => {
    const w = await fork();
    const prepared = await prepare(w);
    const before = countRows(w, 'audit_events');
    const code = await codeOfAsync(() => run(w, w.as[user as keyof typeof CAST], prepared as never));
    expect(code).toBe(allowed ? 'ok' : 'FORBIDDEN');
    // reports import of an empty folder changes nothing, so it writes no event; every other call writes exactly one.
    const events = allowed && _call !== 'reports import' ? 1 : 0;
    expect(countRows(w, 'audit_events') - before).toBe(events);
  }, 30_000);
});
