import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallName } from '../../apps/console/src/api/contract.js';
import type { ErrorCode } from '@airlock/shared/common';
import { enrollment, hostKey } from './hosts.js';
import { churnVariant, type CAST } from './registry.js';

export interface Step {
  call: CallName;
  /** who makes the call (their own session) */
  as: keyof typeof CAST;
  input: Record<string, unknown>;
  /** 'ok', or the one domain code the world is built to produce */
  expect: 'ok' | ErrorCode;
}

/**
 * One call of every kind the contract offers, in an order that makes each meaningful on a world from
 * `makeWorld` (churn@1 active in prod, host-a enrolled there, a deployment, reports imported): a
 * second version imported, evaluated, validated, promoted and approved, rolled back, deployed and
 * exported; people, hosts, environments and reviews managed; the registry verified. Every transport
 * runs it, so every call is shown to be reachable and to answer within its contract.
 */
export async function contractScenario(dir: string): Promise<Step[]> {
  const model = await churnVariant(dir, 'contract');
  const enroll = join(dir, 'host-b.enrollment.json');
  await writeFile(enroll, enrollment(hostKey('host-b')));
  const empty = join(dir, 'no-reports');
  await mkdir(empty, { recursive: true });
  const out = (name: string) => join(dir, name);
  await mkdir(out('stick'), { recursive: true });
  await mkdir(out('mirror'), { recursive: true });
  return [
    { call: 'session.current', as: 'aud', input: {}, expect: 'ok' },
    { call: 'registry.init', as: 'aud', input: { admin: 'mallory', passphrase: 'a second registry' }, expect: 'ALREADY_EXISTS' },
    { call: 'models.list', as: 'aud', input: {}, expect: 'ok' },
    { call: 'versions.list', as: 'aud', input: { text: 'churn', sort: 'state', descending: true, limit: 10 }, expect: 'ok' },
    { call: 'models.show', as: 'aud', input: { ref: 'churn' }, expect: 'ok' },
    { call: 'models.show', as: 'aud', input: { ref: 'churn@1' }, expect: 'ok' },
    { call: 'models.inspect', as: 'bob', input: { path: model, model: 'churn' }, expect: 'ok' },
    { call: 'models.import', as: 'bob', input: { path: model, model: 'churn' }, expect: 'ok' },
    { call: 'models.annotate', as: 'bob', input: { name: 'churn', addTags: ['contract'] }, expect: 'ok' },
    { call: 'versions.diff', as: 'aud', input: { from: 'churn@1', to: 'churn@2' }, expect: 'ok' },
    { call: 'versions.transition', as: 'bob', input: { ref: 'churn@2', to: 'validated', reason: 'reviewed' }, expect: 'ok' },
    { call: 'evaluations.record', as: 'bob', input: { ref: 'churn@2', suite: 'holdout', results: { metrics: { accuracy: 0.95 } } }, expect: 'ok' },
    { call: 'evaluations.run', as: 'bob', input: { ref: 'churn@2', suite: 'holdout' }, expect: 'ok' },
    { call: 'evaluations.history', as: 'aud', input: { model: 'churn' }, expect: 'ok' },
    { call: 'environments.list', as: 'aud', input: {}, expect: 'ok' },
    { call: 'environments.show', as: 'aud', input: { name: 'prod' }, expect: 'ok' },
    { call: 'environments.create', as: 'alice', input: { name: 'staging', tier: 0, policy: { approvals: 1 } }, expect: 'ok' },
    { call: 'environments.setPolicy', as: 'alice', input: { name: 'staging', policy: { approvals: 1, requestTtlHours: 24 } }, expect: 'ok' },
    { call: 'environments.setSecrets', as: 'olga', input: { name: 'staging', secrets: ['TOKEN'] }, expect: 'ok' },
    { call: 'environments.checkOverlay', as: 'aud', input: { environment: 'staging', model: 'churn', config: { threshold: 'high' } }, expect: 'ok' },
    { call: 'environments.setOverlay', as: 'olga', input: { environment: 'staging', model: 'churn', config: { threshold: 0.4 } }, expect: 'ok' },
    { call: 'promotions.preview', as: 'aud', input: { ref: 'churn@2', environment: 'prod' }, expect: 'ok' },
    { call: 'promotions.request', as: 'bob', input: { ref: 'churn@2', environment: 'prod' }, expect: 'ok' },
    { call: 'promotions.list', as: 'aud', input: { open: true }, expect: 'ok' },
    { call: 'promotions.show', as: 'aud', input: { id: 2 }, expect: 'ok' },
    { call: 'promotions.decide', as: 'carol', input: { id: 2, decision: 'approve', note: 'looks right' }, expect: 'ok' },
    { call: 'promotions.request', as: 'bob', input: { ref: 'churn@2', environment: 'staging' }, expect: 'ok' },
    { call: 'promotions.withdraw', as: 'bob', input: { id: 3, reason: 'not yet' }, expect: 'ok' },
    { call: 'promotions.rollback', as: 'olga', input: { model: 'churn', environment: 'prod', reason: 'drill' }, expect: 'ok' },
    { call: 'promotions.show', as: 'aud', input: { id: 4 }, expect: 'ok' },
    { call: 'rollbacks.authorise', as: 'carol', input: { version: 'churn@1', environment: 'prod', reason: 'drill', out: out('auth.json') }, expect: 'ok' },
    { call: 'rollbacks.cosign', as: 'alice', input: { path: out('auth.json') }, expect: 'ok' },
    { call: 'reviews.list', as: 'aud', input: { all: true }, expect: 'ok' },
    { call: 'reviews.due', as: 'aud', input: { withinDays: 30 }, expect: 'ok' },
    { call: 'reviews.resolve', as: 'carol', input: { id: 1, note: 'host clock fixed' }, expect: 'ok' },
    { call: 'hosts.list', as: 'aud', input: {}, expect: 'ok' },
    { call: 'hosts.history', as: 'aud', input: { host: 'host-a' }, expect: 'ok' },
    { call: 'hosts.enroll', as: 'olga', input: { path: enroll }, expect: 'ok' },
    { call: 'hosts.assign', as: 'olga', input: { host: 'host-b', environment: 'staging', labels: { rack: '2' } }, expect: 'ok' },
    { call: 'hosts.reset', as: 'alice', input: { host: 'host-a', reason: 'counters lost with the disk', out: out('host-a.reset.json') }, expect: 'ok' },
    { call: 'hosts.revoke', as: 'alice', input: { host: 'host-b', reason: 'decommissioned' }, expect: 'ok' },
    { call: 'fleet.show', as: 'aud', input: {}, expect: 'ok' },
    { call: 'drift.show', as: 'aud', input: { ref: 'churn', env: 'prod' }, expect: 'ok' },
    { call: 'retraining.list', as: 'aud', input: { model: 'churn' }, expect: 'ok' },
    { call: 'deployments.create', as: 'olga', input: { model: 'churn', environment: 'prod' }, expect: 'ok' },
    { call: 'deployments.list', as: 'aud', input: {}, expect: 'ok' },
    { call: 'bundles.preview', as: 'aud', input: { deployment: 1 }, expect: 'ok' },
    { call: 'bundles.export', as: 'olga', input: { deployment: 1, out: out('stick') }, expect: 'ok' },
    { call: 'depot.export', as: 'olga', input: { out: out('mirror') }, expect: 'ok' },
    { call: 'reports.import', as: 'olga', input: { dir: empty }, expect: 'ok' },
    { call: 'audit.list', as: 'aud', input: { limit: 5 }, expect: 'ok' },
    { call: 'audit.anchor', as: 'alice', input: { out: out('anchor.json') }, expect: 'ok' },
    { call: 'audit.verify', as: 'aud', input: { anchors: [out('anchor.json')] }, expect: 'ok' },
    { call: 'audit.adopt', as: 'alice', input: {}, expect: 'CONFLICT' },
    { call: 'registry.verify', as: 'aud', input: {}, expect: 'ok' },
    { call: 'store.gc', as: 'alice', input: { minAgeMinutes: 0 }, expect: 'ok' },
    { call: 'users.list', as: 'aud', input: {}, expect: 'ok' },
    { call: 'users.add', as: 'alice', input: { name: 'erin', roles: ['auditor'], passphrase: 'erin-passphrase' }, expect: 'ok' },
    { call: 'users.revoke', as: 'alice', input: { name: 'erin', reason: 'left the team' }, expect: 'ok' },
    { call: 'compliance.issue', as: 'aud', input: { environment: 'prod', out: out('prod.html') }, expect: 'ok' },
    { call: 'compliance.verify', as: 'carol', input: { path: out('prod.html') }, expect: 'ok' },
    { call: 'roots.list', as: 'aud', input: {}, expect: 'ok' },
    { call: 'roots.propose', as: 'alice', input: { out: out('root-2.draft.json'), add: [{ role: 'root', user: 'carol' }] }, expect: 'ok' },
    { call: 'roots.sign', as: 'alice', input: { draft: out('root-2.draft.json') }, expect: 'ok' },
    { call: 'roots.publish', as: 'alice', input: { draft: out('root-2.draft.json') }, expect: 'ok' },
    { call: 'roots.export', as: 'aud', input: { out: out('root.json') }, expect: 'ok' },
    { call: 'session.lock', as: 'dave', input: {}, expect: 'ok' },
  ];
}
