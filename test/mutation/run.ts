/**
 * `npm run mutation`: the rules that matter most (lifecycles, permissions, the moves and decisions
 * verify replays, export's records check, host policy) must be guarded by tests that notice when they change. Each mutation below
 * edits one rule in the source, runs the tests that guard it, and must turn them red; the source is
 * restored whatever happens. A mutation whose text is no longer in the
 * source fails the run too, so the list cannot quietly go stale.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Mutation {
  name: string;
  file: string;
  from: string;
  to: string;
  tests: string[];
  /** only the tests whose names match (vitest -t) */
  grep?: string;
  /** the tests run the built program (a real CLI process): rebuild after mutating and after restoring */
  rebuild?: boolean;
  /** the tests run the bundled agent (a real agent process): re-bundle it after mutating and after restoring */
  agent?: boolean;
}

const LIFECYCLE = 'apps/console/src/registry/lifecycle.ts';
const AUTH = 'apps/console/src/api/permissions.ts';
const POLICY = 'agent/src/apply/policy.ts';
const MOVES = 'apps/console/src/registry/integrity/moves.ts';
const DECISIONS = 'apps/console/src/registry/integrity/decisions.ts';
const LIFECYCLE_TESTS = ['apps/console/src/registry/lifecycle.test.ts'];
const REPLAY_TESTS = ['apps/console/src/registry/integrity/holes.test.ts'];
const RBAC_TESTS = ['apps/console/src/registry/services/rbac.test.ts'];
const POLICY_TESTS = ['agent/src/apply/policy.test.ts'];
const DECISION_TESTS = ['apps/console/src/registry/integrity/decisions.test.ts'];
const WEB = 'apps/console/src/web/server.ts';
const WEB_TESTS = ['test/e2e/web-console.test.ts'];
const MAIN_TESTS = ['apps/console/src/main/setup.test.ts'];
const SERVING_FAULTS = ['test/agent/serving-faults.test.ts'];
const STATE_FAULTS = ['test/agent/state-faults.test.ts'];
const SLOT = 'agent/src/apply/slot.ts';
const DAEMON = 'agent/src/daemon.ts';
const DRIFT_TEST = 'shared/src/common/drift/window-test.ts';
const CALIBRATION = ['test/drift/calibration.test.ts'];
const DRIFT_REVIEWS = 'apps/console/src/registry/services/drift.ts';

const MUTATIONS: Mutation[] = [
  { name: 'revoked versions can come back', file: LIFECYCLE, from: '  revoked: [],', to: "  revoked: ['validated'],", tests: LIFECYCLE_TESTS },
  { name: 'registered versions cannot be quarantined', file: LIFECYCLE, from: "  registered: ['validated', 'quarantined', 'revoked'],", to: "  registered: ['validated', 'revoked'],", tests: LIFECYCLE_TESTS },
  { name: 'a rejected promotion can be approved', file: LIFECYCLE, from: '  rejected: [],', to: "  rejected: ['approved'],", tests: LIFECYCLE_TESTS },
  { name: 'an approved promotion can be rejected', file: LIFECYCLE, from: "  approved: ['active', 'withdrawn', 'expired'],", to: "  approved: ['active', 'withdrawn', 'expired', 'rejected'],", tests: LIFECYCLE_TESTS },
  { name: 'a request may revive an expired promotion', file: MOVES, from: "  'promote.request': ['active>superseded'],", to: "  'promote.request': ['active>superseded', 'expired>active'],", tests: REPLAY_TESTS },
  { name: 'a request may start a break-glass promotion', file: MOVES, from: "  'promote.request': { states: ['gates_failed', 'awaiting_approval', 'active'], breakGlass: 0 },", to: "  'promote.request': { states: ['gates_failed', 'awaiting_approval', 'active'], breakGlass: 1 },", tests: REPLAY_TESTS },
  { name: 'auditors decide promotions', file: AUTH, from: "'promote.decide': ['admin', 'approver'],", to: "'promote.decide': ['admin', 'approver', 'auditor'],", tests: RBAC_TESTS },
  { name: 'operators may not deploy', file: AUTH, from: "'deploy.create': ['admin', 'operator'],", to: "'deploy.create': ['admin'],", tests: RBAC_TESTS },
  { name: 'ML engineers add users', file: AUTH, from: "'user.add': ['admin'],", to: "'user.add': ['admin', 'ml-engineer'],", tests: RBAC_TESTS },
  { name: 'approvers revoke versions', file: AUTH, from: "'version.revoke': ['admin'],", to: "'version.revoke': ['admin', 'approver'],", tests: RBAC_TESTS },
  {
    name: 'targeting is checked before the channel sequence',
    file: POLICY,
    from: `    const last = ctx.counters.channels[m.channel] ?? 0;
    if (m.sequence <= last) {
      throw new AirlockError('BUNDLE_REPLAYED', \`Bundle #\${m.sequence} on channel \${m.channel} is not newer than #\${last}, which this host already took.\`);
    }
    if (m.targets.hosts.length > 0 && !m.targets.hosts.includes(ctx.hostId)) {
      throw new AirlockError('NOT_TARGETED', \`The bundle names hosts \${m.targets.hosts.join(', ')}; this is \${ctx.hostId}.\`);
    }`,
    to: `    if (m.targets.hosts.length > 0 && !m.targets.hosts.includes(ctx.hostId)) {
      throw new AirlockError('NOT_TARGETED', \`The bundle names hosts \${m.targets.hosts.join(', ')}; this is \${ctx.hostId}.\`);
    }
    const last = ctx.counters.channels[m.channel] ?? 0;
    if (m.sequence <= last) {
      throw new AirlockError('BUNDLE_REPLAYED', \`Bundle #\${m.sequence} on channel \${m.channel} is not newer than #\${last}, which this host already took.\`);
    }`,
    tests: POLICY_TESTS,
  },
  { name: 'the floor lets the version below it through', file: POLICY, from: 'if (slot.model.version < floor) {', to: 'if (slot.model.version < floor - 1) {', tests: POLICY_TESTS },
  { name: 'approvals count for any environment', file: POLICY, from: '        approval.environment === environment &&\n', to: '', tests: POLICY_TESTS },
  { name: 'approvals do not bind the version number', file: POLICY, from: '        approval.version === slot.model.version &&\n', to: '', tests: POLICY_TESTS },
  { name: 'the quorum the approvals name is ignored', file: POLICY, from: 'group.quorum = Math.max(group.quorum, approval.quorum);', to: 'group.quorum = Math.max(group.quorum, 0);', tests: POLICY_TESTS },
  { name: 'approvals of different promotions add up', file: POLICY, from: 'const key = `${approval.promotion} ${approval.evidenceDigest}`;', to: "const key = 'any';", tests: POLICY_TESTS },
  { name: 'the host minimum is ignored', file: POLICY, from: 'g.quorum, ctx.cfg.minApprovals ?? 0)', to: 'g.quorum)', tests: POLICY_TESTS },
  { name: 'evidence is not re-derived', file: DECISIONS, from: 'const atRequest = rederived(db, ledger, requested - 1, p, evidence);', to: 'const atRequest: string[] = [];', tests: DECISION_TESTS },
  { name: 'a rollback may open no review', file: DECISIONS, from: "if (!review || ledger.createdAt('reviews', [review.id]) !== created)", to: 'if (!review)', tests: DECISION_TESTS },
  {
    name: 'export signs without verifying the records',
    file: 'apps/console/src/registry/services/deployments.ts',
    from: '    assertRecordsHold(reg, `${refusal}: bundles are signed only over a registry that verifies`);\n',
    to: '',
    tests: DECISION_TESTS,
  },
  { name: 'approvals do not bind the config', file: POLICY, from: '        approval.versionDigest === slot.model.digest &&\n        approval.configDigest === config;', to: '        approval.versionDigest === slot.model.digest;', tests: POLICY_TESTS },
  { name: 'the web console answers to any Host', file: WEB, from: "if (!allowedHosts(port).has(req.headers.host ?? ''))", to: 'if (false)', tests: WEB_TESTS, grep: 'foreign Origin', rebuild: true },
  { name: 'the web console takes POSTs from any Origin', file: WEB, from: "if (req.method === 'POST' && !allowedOrigins(port).has(req.headers.origin ?? ''))", to: 'if (false)', tests: WEB_TESTS, grep: 'foreign Origin', rebuild: true },
  { name: 'the sign-in token works twice', file: WEB, from: '      token = null;\n', to: '', tests: WEB_TESTS, grep: 'foreign Origin', rebuild: true },
  { name: 'the web console listens on every address', file: WEB, from: "server.listen(opts.port ?? 0, '127.0.0.1'", to: "server.listen(opts.port ?? 0, '0.0.0.0'", tests: WEB_TESTS, grep: 'loopback address only', rebuild: true },
  { name: 'the cookie is readable by scripts', file: WEB, from: '; HttpOnly; SameSite=Strict', to: '; SameSite=Strict', tests: WEB_TESTS, grep: 'strict CSP', rebuild: true },
  { name: 'a typed path may point into the registry', file: 'apps/console/src/backend/path-checks.ts', from: 'if (inside(await realOrNearest(resolve(path)), registry))', to: 'if (false)', tests: WEB_TESTS, grep: 'typed paths', rebuild: true },
  { name: 'the cookie alone is enough', file: WEB, from: 'return browser && sameSecret(secret, browser.secret) ? browser : undefined;', to: 'return browser;', tests: WEB_TESTS, grep: 'foreign Origin', rebuild: true },
  { name: 'the window runs unsandboxed', file: 'apps/console/src/main/window.ts', from: '  sandbox: true,', to: '  sandbox: false,', tests: MAIN_TESTS, grep: 'hardened' },
  { name: 'the window may navigate anywhere', file: 'apps/console/src/main/window.ts', from: "  contents.on('will-navigate', (event, url) => {\n    if (!isAppUrl(url)) event.preventDefault();", to: "  contents.on('will-navigate', (event, url) => {\n    if (!url) event.preventDefault();", tests: MAIN_TESTS, grep: 'held|holds' },
  { name: 'IPC from a nested frame is taken', file: 'apps/console/src/main/ipc.ts', from: 'frame !== null && frame.parent === null && isAppUrl(frame.url)', to: 'frame !== null && isAppUrl(frame.url)', tests: MAIN_TESTS, grep: 'foreign or nested' },
  { name: 'permissions are granted', file: 'apps/console/src/main/setup.ts', from: 'callback(false)', to: 'callback(true)', tests: MAIN_TESTS, grep: 'permission' },
  { name: 'a call may use a typed path in the desktop app', file: 'apps/console/src/main/ipc.ts', from: 'if (chosen?.get(path) !== role)', to: 'if (false)', tests: MAIN_TESTS, grep: 'native dialogs' },
  { name: 'a crashed active runtime waits for its restart', file: SLOT, from: 'if (standby?.up && standby.version >= this.deps.floor()) {', to: 'if (false) {', tests: SERVING_FAULTS, grep: 'fails over', agent: true },
  { name: 'rollback goes to the newest kept release', file: SLOT, from: 'const targetId = to ?? this.standby?.id ?? this.kept.others(from?.id ?? null)[0];', to: 'const targetId = to ?? this.kept.others(from?.id ?? null)[0];', tests: SERVING_FAULTS, grep: 'rollback without', agent: true },
  { name: 'a damaged current release takes the slot down', file: SLOT, from: 'for (const id of [current, ...this.kept.others(current)]) {', to: 'for (const id of [current]) {', tests: STATE_FAULTS, grep: 'damaged current', agent: true },
  { name: 'SIGTERM closes every connection at once', file: DAEMON, from: 'p.close(this.cfg.drainGraceMs)', to: 'p.close(0)', tests: SERVING_FAULTS, grep: 'drains', agent: true },
  { name: 'runtimes a killed agent left keep running', file: DAEMON, from: 'const reclaimed = await this.records.reclaim(RECLAIM_GRACE_MS);', to: 'const reclaimed: number[] = [];', tests: SERVING_FAULTS, grep: 'after SIGKILL of the agent', agent: true },
  { name: 'a missing newest root falls back to the first', file: DAEMON, from: 'await trustedRoot(layout, value.rootVersion)', to: 'await trustedRoot(layout, 1)', tests: STATE_FAULTS, grep: 'missing newest root', agent: true },
  { name: 'missing counters start from zero', file: 'agent/src/state/counters.ts', from: "    what: 'trust counters',\n", to: "    what: 'trust counters',\n    ifMissing: () => initialCounters(1),\n", tests: STATE_FAULTS, grep: 'deleted counters', agent: true },
  { name: 'a damaged audit chain is appended to', file: 'agent/src/state/audit-log.ts', from: 'const found = damage ?? lost;', to: 'const found = null;', tests: STATE_FAULTS, grep: 'damaged line', agent: true },
  { name: 'a hung runtime holds the request', file: 'agent/src/proxy/slot-proxy.ts', from: 'const timeout = this.opts.requestTimeoutMs;', to: 'const timeout = 0;', tests: SERVING_FAULTS, grep: 'hangs', agent: true },
  { name: 'any process a record names is signalled', file: 'agent/src/runtime/process-records.ts', from: 'if (!cwd.startsWith(`${slots}/`)) return false;', to: 'if (false) return false;', tests: SERVING_FAULTS, grep: 'forged process records', agent: true },
  { name: 'a counters file behind the log is believed', file: DAEMON, from: '    if (behind) {', to: '    if (false) {', tests: STATE_FAULTS, grep: 'is raised to what the host recorded', agent: true },
  { name: 'a reset for another host is taken', file: 'agent/src/recover.ts', from: 'if (reset.hostId !== hostId)', to: 'if (false)', tests: STATE_FAULTS, grep: 'only a reset', agent: true },
  { name: 'drift treats the reference as exact', file: DRIFT_TEST, from: 'Math.sqrt((num.std * num.std) / refPresent + variance / present)', to: 'Math.sqrt(variance / present)', tests: CALIBRATION, grep: 'sampling error' },
  { name: 'drift has no practical floor', file: DRIFT_TEST, from: 't.p < alpha && t.effect >= t.floor', to: 't.p < alpha', tests: CALIBRATION, grep: 'floor' },
  { name: 'one drift window is an alarm', file: 'shared/src/common/drift/alarm.ts', from: 'export const ALARM_HITS = 2;', to: 'export const ALARM_HITS = 1;', tests: CALIBRATION, grep: 'alarm per 1,000' },
  { name: 'drift pools no bins', file: 'shared/src/common/drift/homogeneity.ts', from: 'if ((x[smallest]! + y[smallest]!) * share >= minExpected) break;', to: 'break;', tests: CALIBRATION, grep: 'no drift' },
  { name: 'a drift review per alarm', file: DRIFT_REVIEWS, from: "    if (reviews.openFor(reg.db, 'drift', subject)) continue;\n", to: '', tests: ['apps/console/src/registry/services/drift.test.ts'], grep: 'none more while it is open' },
  { name: 'drift reviews trust the names a host reports', file: DRIFT_REVIEWS, from: 'const v = versions.byDigest(reg.db, d.digest);', to: 'const v = versions.byNumber(reg.db, d.model, d.version);', tests: ['apps/console/src/registry/services/drift.test.ts'], grep: 'does not know' },
  { name: 'KS p-value from the wrong sample size', file: 'shared/src/common/drift/samples.ts', from: 'kolmogorovSf(roundHalfEven((m * n) / (m + n)), d)', to: 'kolmogorovSf(m + n, d)', tests: ['test/drift/drift-scipy.test.ts'] },
  { name: 'an overflowing value is summed', file: 'shared/src/common/drift/counter.ts', from: 'if (!Number.isFinite(d * d)) {', to: 'if (false) {', tests: ['test/drift/edge-cases.test.ts'], grep: 'overflows' },
  { name: 'the minimum shares its bin', file: 'shared/src/common/drift/build-profile.ts', from: '  const edges = [above];', to: '  const edges = [sorted[Math.floor(sorted.length / bins)]!].filter((e) => e > min);', tests: ['test/drift/edge-cases.test.ts'], grep: 'rare flag' },
  { name: 'a mean shift inside the top bin is below the floor', file: DRIFT_TEST, from: 'const effect = Math.max(Math.abs(s.meanShift), s.wassersteinSd);', to: 'const effect = s.wassersteinSd;', tests: ['test/drift/edge-cases.test.ts'], grep: 'top bin' },
  { name: 'drift reviews for versions never deployed to the host', file: DRIFT_REVIEWS, from: '  return given ? v : null;', to: '  return v;', tests: ['apps/console/src/registry/services/drift.test.ts'], grep: 'does not know' },
  { name: 'a root draft needs only its own keys', file: 'shared/src/common/root-draft.ts', from: "walkRootChain(previous, new Map([[proposed.version, envelope]]), nowMs)", to: "[openInitialRoot(envelope)]", tests: ['shared/src/common/root-draft.test.ts'] },
  { name: 'any key may sign a root draft', file: 'shared/src/common/root-draft.ts', from: 'if (!isRootKey(previous, signer.keyId) && !isRootKey(proposed, signer.keyId)) {', to: 'if (false) {', tests: ['shared/src/common/root-draft.test.ts'] },
  { name: 'a root draft signed over other content is signed again', file: 'shared/src/common/root-draft.ts', from: '  const { previous, proposed } = openRootDraft(draft);\n  rootDraftProgress(draft);\n  if (!isRootKey', to: '  const { previous, proposed } = openRootDraft(draft);\n  if (!isRootKey', tests: ['test/cli/root-ceremony-cli.test.ts'], grep: 'tampered', rebuild: true },
  { name: 'a stale root draft is published', file: 'apps/console/src/registry/services/root-ceremony.ts', from: 'if (previous.version !== current.root.version || canonicalJson(previous) !== canonicalJson(current.root)) {', to: 'if (false) {', tests: ['test/cli/root-ceremony-cli.test.ts'], grep: '2-of-3', rebuild: true },
  { name: 'approvals from dropped approver keys are exported', file: 'apps/console/src/registry/services/deployments.ts', from: '  assertApprovalsTrusted(planned!, roots.at(-1)!.root);\n', to: '', tests: ['test/agent/root-ceremony.test.ts'], grep: 'dropped approver' },
  { name: 'a resolved review does not restart its clock', file: 'apps/console/src/registry/services/review-cycle.ts', from: 'const base = last?.resolved_at && last.resolved_at > since ? last.resolved_at : since;', to: 'const base = since;', tests: ['apps/console/src/registry/services/review-cycle.test.ts'] },
  { name: 'a flagged root expiry comes back', file: 'apps/console/src/registry/services/review-cycle.ts', from: 'if (!flagged?.resolved_at) add(', to: 'add(', tests: ['apps/console/src/registry/services/review-cycle.test.ts'] },
  { name: 'an approver co-signs their own authorisation', file: 'apps/console/src/registry/services/rollback-authorisations.ts', from: 'if (signedBy.includes(actor.signer.keyId)) throw', to: 'if (false) throw', tests: ['test/cli/cosign-cli.test.ts'], rebuild: true },
  { name: 'a draft is signed against the root it claims to replace', file: 'shared/src/common/root-draft.ts', from: 'RootDraft {\n  assertDraftFollows(draft, trusted);\n', to: 'RootDraft {\n', tests: ['shared/src/common/root-draft.test.ts'] },
  { name: 'a revocation lowers a threshold', file: 'apps/console/src/registry/services/users.ts', from: 'thresholds: {}, keepThresholds: true });', to: 'thresholds: {} });', tests: ['apps/console/src/registry/services/revoke.test.ts'] },
  { name: 'a signed report need not be what the registry renders', file: 'apps/console/src/registry/services/compliance/report.ts', from: 'if (again !== claimed.digest) throw', to: 'if (false) throw', tests: ['test/cli/compliance-report.test.ts'], rebuild: true },
  { name: 'any approver-signed authorisation is co-signed', file: 'apps/console/src/registry/services/rollback-authorisations.ts', from: 'if (!issued || !signedBy.includes(issued.key_id) || recorded?.expiresAt !== authorisation.expiresAt || recorded.slot !== authorisation.slot || canonicalJson(recorded.targets) !== canonicalJson(authorisation.targets)) {', to: 'if (false) {', tests: ['test/cli/cosign-cli.test.ts'], rebuild: true },
  { name: 'a revoked person still issues reports', file: 'apps/console/src/registry/services/compliance/report.ts', from: 'if (issuer.disabled_at !== null && issuer.disabled_at <= drawnAt.at) {', to: "if (issuer.disabled_at !== null && issuer.disabled_at < '0') {", tests: ['test/cli/compliance-report.test.ts'], rebuild: true },
];

function bundleAgent(): void {
  const run = spawnSync(process.execPath, [`${ROOT}agent/bundle.mjs`], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`bundling the agent failed: ${run.stdout}${run.stderr}`);
}

function build(): void {
  const run = spawnSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-b'], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`tsc -b failed: ${run.stdout}${run.stderr}`);
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;
const survivors: string[] = [];
const started = Date.now();

/** `npm run mutation -- web` runs only the mutations whose name or file holds "web". */
const only = process.argv[2];
const chosen = only ? MUTATIONS.filter((m) => m.name.includes(only) || m.file.includes(only)) : MUTATIONS;

for (const m of chosen) {
  const path = `${ROOT}${m.file}`;
  const original = readFileSync(path, 'utf8');
  if (occurrences(original, m.from) !== 1) {
    console.log(`STALE   ${m.name}: the text to mutate is no longer in ${m.file} exactly once; update the list`);
    survivors.push(m.name);
    continue;
  }
  const restore = () => writeFileSync(path, original);
  process.once('SIGINT', restore);
  try {
    writeFileSync(path, original.replace(m.from, m.to));
    if (m.rebuild) build();
    if (m.agent) bundleAgent();
    const run = spawnSync(process.execPath, [`${ROOT}node_modules/vitest/vitest.mjs`, 'run', '--config', 'test/vitest.config.ts', ...m.tests, ...(m.grep ? ['-t', m.grep] : [])], { cwd: ROOT, encoding: 'utf8' });
    const killed = run.status !== 0;
    console.log(`${killed ? 'killed ' : 'SURVIVED'} ${m.name} (${m.file})`);
    if (!killed) survivors.push(m.name);
  } finally {
    restore();
    if (m.rebuild) build();
    if (m.agent) bundleAgent();
    process.removeListener('SIGINT', restore);
  }
}

console.log(`\n${chosen.length - survivors.length} of ${chosen.length} mutations killed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (survivors.length > 0) {
  console.log(`Not killed: ${survivors.join('; ')}. Strengthen the tests that guard these rules.`);
  process.exitCode = 1;
}
