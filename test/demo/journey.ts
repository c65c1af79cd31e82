/**
 * The one-command demo (`npm run demo`): Airlock's whole journey with real processes and nothing faked.
 * A registry and its users, a model imported, evaluated, approved and shipped on a folder that stands in
 * for a USB stick to two agents, requests served, reports carried back; traffic that drifts, seen by a
 * host and opened as a drift review; then a second version that fails its health gate on the hosts and
 * is rolled back by them on their own. Exits 0 only if every step behaved as expected.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT, freePort } from '../helpers/agent.js';
import { CLI } from '../helpers/cli.js';
import { CHURN } from '../helpers/registry.js';

const keep = process.argv.includes('--keep');
const dir = await mkdtemp(join(tmpdir(), 'airlock-demo-'));
const home = join(dir, 'registry');
const usb = join(dir, 'usb');
const env = { ...process.env, AIRLOCK_HOME: home, AIRLOCK_PASSPHRASE: 'demo-passphrase', AIRLOCK_NEW_PASSPHRASE: 'demo-passphrase' };
const results: { step: string; ok: boolean; detail: string }[] = [];
const agents: { id: string; proc: ChildProcess; state: string; proxy: number; admin: number }[] = [];
const show = (text: string) => console.log(text.trimEnd().replace(/^/gm, '    ').replaceAll(dir, '$DEMO'));

function check(step: string, ok: boolean, detail: string): void {
  results.push({ step, ok, detail });
  console.log(`  ${ok ? 'ok' : 'FAIL'}: ${detail}`);
}

/** Runs the airlock CLI as an operator would; returns its parsed --json result. */
function airlock(user: string, args: string[], expectOk = true): { ok: boolean; result?: unknown; error?: { code: string; message: string } } {
  console.log(`  $ AIRLOCK_USER=${user} airlock ${args.join(' ').replaceAll(dir, '$DEMO')}`);
  const r = spawnSync(process.execPath, [CLI, '--json', '--user', user, ...args], { env, encoding: 'utf8' });
  const body = JSON.parse(r.stdout || '{"ok":false}') as { ok: boolean; result?: unknown; error?: { code: string; message: string } };
  if (expectOk && !body.ok) throw new Error(`airlock ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return body;
}

function text(user: string, args: string[]): string {
  console.log(`  $ AIRLOCK_USER=${user} airlock ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, '--user', user, ...args], { env, encoding: 'utf8' });
  return r.stdout;
}

function agentCli(state: string, args: string[]): string {
  const r = spawnSync(process.execPath, [AGENT, '--state', state, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`airlock-agent ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

type AgentStatus = { slots: { slot: string; release: string | null; healthy: boolean; state: string }[]; channels: Record<string, number> };
const agentStatus = (state: string) => JSON.parse(agentCli(state, ['--json', 'status'])).result as AgentStatus;

let stepNo = 0;
const step = (title: string) => console.log(`\n[${++stepNo}] ${title}`);

try {
  console.log(`Airlock demo in ${dir}`);
  step('Create the registry and its people: admin alice, ML engineer bob, approver carol, operator olga');
  airlock('alice', ['init', '--admin', 'alice']);
  for (const [name, role] of [['bob', 'ml-engineer'], ['carol', 'approver'], ['olga', 'operator']] as const) airlock('alice', ['user', 'add', name, '--role', role]);
  const people = airlock('alice', ['user', 'list']).result as { name: string; roles: string[] }[];
  const roots = (await readdir(join(home, 'roots'))).filter((f) => f.endsWith('.root.json')).length;
  check('registry', people.length === 4 && roots === 3, `registry, ${people.map((p) => `${p.name} (${p.roles.join(',')})`).join(', ')}; root of trust rotated to v${roots} so hosts trust carol's approvals and olga's bundles`);

  step('Import the classic churn model v1, run its evaluation suite, validate it');
  const v1 = airlock('bob', ['model', 'import', CHURN, '--model', 'churn']).result as { ref: string; digest: string };
  const ev = airlock('bob', ['eval', 'run', 'churn@1', '--suite', 'holdout']).result as { metrics: Record<string, number> };
  airlock('bob', ['version', 'validate', 'churn@1']);
  check('import v1', v1.ref === 'churn@1' && ev.metrics.accuracy! > 0.8, `${v1.ref} ${v1.digest.slice(0, 19)}…, holdout accuracy ${ev.metrics.accuracy}, AUC ${ev.metrics.auc}`);

  step('Environment prod requires the holdout suite (accuracy ≥ 0.8) and one approval');
  await writeFile(join(dir, 'policy.json'), JSON.stringify({ requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8, maxDrop: 0.05 }] }], approvals: 1 }));
  airlock('alice', ['env', 'create', 'prod', '--tier', '1', '--policy', join(dir, 'policy.json')]);
  const req = airlock('bob', ['promote', 'request', 'churn@1', '--env', 'prod']).result as { promotion: { id: number; state: string } };
  const self = airlock('bob', ['promote', 'approve', String(req.promotion.id)], false);
  const approved = airlock('carol', ['promote', 'approve', String(req.promotion.id)]).result as { promotion: { state: string } };
  check('promote v1', approved.promotion.state === 'active' && self.error?.code === 'FORBIDDEN', `bob may not approve his own request (${self.error?.code}); carol approves: churn@1 is active in prod`);

  step('Two serving hosts: each agent gets a host key and the root of trust v1, and enrolls');
  await mkdir(usb, { recursive: true });
  for (const id of ['host-a', 'host-b']) {
    const state = join(dir, id);
    const ports = { proxy: await freePort(), admin: await freePort() };
    agentCli(state, ['init', '--root', join(home, 'roots/1.root.json'), '--host-id', id, '--labels', 'site=demo']);
    await writeFile(join(dir, `${id}.json`), JSON.stringify({ stateDir: state, environment: 'prod', sources: { dirs: [usb], pollIntervalMs: 300 }, slots: { churn: { listen: ports.proxy, drift: { windowRequests: 200, windowSeconds: 0 } } }, admin: { listen: ports.admin }, requireApprovals: true, probeIntervalMs: 200, statusIntervalMs: 3_600_000 }));
    const proc = spawn(process.execPath, [AGENT, '--config', join(dir, `${id}.json`), 'run'], { stdio: 'ignore' });
    agents.push({ id, proc, state, ...ports });
    agentCli(state, ['--config', join(dir, `${id}.json`), 'enroll', '--out', join(usb, 'enroll')]);
  }
  for (const a of agents) await waitFor(`${a.id} to start`, () => fetch(`http://127.0.0.1:${a.admin}/healthz`).then((r) => r.ok));
  for (const a of agents) {
    airlock('olga', ['host', 'enroll', join(usb, 'enroll', `${a.id}.enrollment.json`)]);
    airlock('olga', ['host', 'assign', a.id, '--env', 'prod']);
  }
  const hosts = airlock('olga', ['host', 'list']).result as { hostId: string; environment: string | null }[];
  check('hosts', hosts.map((h) => `${h.hostId}:${h.environment}`).join(' ') === 'host-a:prod host-b:prod', `${hosts.map((h) => h.hostId).join(' and ')} running, enrolled and assigned to prod`);

  step('Ship v1: a deployment, its bundle signed by olga onto the stick; both hosts verify, apply and health-check it');
  const d1 = airlock('olga', ['deploy', 'create', 'churn', '--env', 'prod']).result as { id: number; sequence: number };
  const b1 = airlock('olga', ['bundle', 'export', String(d1.id), '--out', usb]).result as { path: string; bytes: number };
  for (const a of agents) await waitFor(`${a.id} to serve churn@1`, async () => agentStatus(a.state).slots[0]?.release?.endsWith('churn-1') && agentStatus(a.state).slots[0]?.state === 'idle');
  const serving = agents.map((a) => agentStatus(a.state).slots[0]);
  check('apply v1', serving.every((s) => s?.release?.endsWith('churn-1') && s.healthy), `${b1.path.split('/').at(-1)} (${(b1.bytes / 1024).toFixed(0)} KiB) applied on both hosts: ${serving.map((s) => s?.release).join(', ')}`);

  step('Real requests through host-a\'s slot proxy');
  const samples = [
    { tenure_months: 2, monthly_charges: 95, support_calls: 6, contract_annual: 0 },
    { tenure_months: 60, monthly_charges: 30, support_calls: 0, contract_annual: 1 },
  ];
  const answers = [];
  for (const record of samples) answers.push(await (await fetch(`http://127.0.0.1:${agents[0]!.proxy}/predict`, { method: 'POST', body: JSON.stringify({ record }) })).json());
  show(answers.map((a, i) => `${JSON.stringify(samples[i])} → ${JSON.stringify(a)}`).join('\n'));
  check('serve', (answers[0] as { label: number }).label === 1 && (answers[1] as { label: number }).label === 0, 'high-risk customer scored 1, loyal customer scored 0');

  step('Hosts export signed reports to the stick; the registry imports them');
  const carry = async () => {
    for (const a of agents) {
      agentCli(a.state, ['report']);
      agentCli(a.state, ['export-reports', '--to', join(usb, 'reports')]);
    }
    return airlock('olga', ['reports', 'import', join(usb, 'reports')]).result as { imported: number; duplicates: number; rejected: unknown[] };
  };
  const imp1 = await carry();
  const again = airlock('olga', ['reports', 'import', join(usb, 'reports')]).result as { imported: number; duplicates: number };
  show(text('olga', ['fleet']));
  check('reports', imp1.imported > 0 && imp1.rejected.length === 0 && again.imported === 0, `${imp1.imported} reports imported; importing the same stick again imported ${again.imported}`);

  step("Traffic changes: host-a's customers now stay two years longer; its drift tap raises an alarm, and the report opens a drift review");
  const reference = (await readFile(join(CHURN, 'reference.jsonl'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { request: { record: Record<string, number> } }).request.record);
  const traffic = [...reference.slice(0, 198), ...reference.slice(200, 600).map((r) => ({ ...r, tenure_months: r.tenure_months! + 24 }))];
  for (const record of traffic) await fetch(`http://127.0.0.1:${agents[0]!.proxy}/predict`, { method: 'POST', body: JSON.stringify({ record }) }).then((r) => r.arrayBuffer());
  await carry();
  show(text('olga', ['drift', 'show', 'churn', '--host', 'host-a']));
  const drift = (airlock('olga', ['review', 'list']).result as { id: number; kind: string; subject: string; detail: string }[]).find((r) => r.kind === 'drift');
  if (drift) show(`review item #${drift.id} (${drift.kind}, ${drift.subject}): ${drift.detail}`);
  check('drift', drift?.subject === 'version:churn@1' && /tenure_months/.test(drift.detail), drift ? `review item #${drift.id} opened for churn@1 from host-a's signed report` : 'no drift review opened');

  step('v2: retrained, evaluates well, approved — but its serving script needs a file the release does not ship');
  const v2dir = join(dir, 'churn-v2');
  await cp(CHURN, v2dir, { recursive: true });
  await appendFile(join(v2dir, 'serve.mjs'), "\n// v2 loads a calibration table at start-up; nobody shipped it.\nJSON.parse(readFileSync(`${dir}/calibration.json`, 'utf8'));\n");
  airlock('bob', ['model', 'import', v2dir, '--model', 'churn']);
  airlock('bob', ['eval', 'run', 'churn@2', '--suite', 'holdout']);
  airlock('bob', ['version', 'validate', 'churn@2']);
  const req2 = airlock('bob', ['promote', 'request', 'churn@2', '--env', 'prod']).result as { promotion: { id: number } };
  airlock('carol', ['promote', 'approve', String(req2.promotion.id)]);
  const d2 = airlock('olga', ['deploy', 'create', 'churn', '--env', 'prod']).result as { id: number };
  const b2 = airlock('olga', ['bundle', 'export', String(d2.id), '--out', usb]).result as { bytes: number; omitted: number; blobs: number };
  check('ship v2', b2.omitted > 0, `delta bundle: ${b2.blobs - b2.omitted} of ${b2.blobs} blobs included (${(b2.bytes / 1024).toFixed(0)} KiB), the rest the hosts already hold`);

  step('Each host starts v2 beside v1, sees it fail its health gate, and keeps serving v1');
  for (const a of agents) await waitFor(`${a.id} to take bundle #2`, async () => agentStatus(a.state).channels.prod === 2);
  const still = await (await fetch(`http://127.0.0.1:${agents[1]!.proxy}/predict`, { method: 'POST', body: JSON.stringify({ record: samples[0] }) })).json();
  check('rollback on hosts', agents.every((a) => agentStatus(a.state).slots[0]?.release?.endsWith('churn-1')) && (still as { label: number }).label === 1, 'both hosts still serve churn@1 and answer requests');

  step('Reports come back: the registry sees the automatic rollback');
  await carry();
  const deps = airlock('olga', ['deploy', 'list']).result as { id: number; hosts: { hostId: string; state: string; code: string | null }[] }[];
  const second = deps.find((d) => d.id === d2.id)!;
  show(text('olga', ['fleet']));
  show(text('olga', ['review', 'list']));
  check('reports v2', second.hosts.every((h) => h.state === 'rolled_back' && h.code === 'HEALTH_GATE_FAILED'), `deployment #${d2.id}: ${second.hosts.map((h) => `${h.hostId} ${h.state} (${h.code})`).join(', ')}`);
} catch (err) {
  check('journey', false, (err as Error).message);
} finally {
  for (const a of agents) a.proc.kill('SIGTERM');
  await Promise.all(agents.map((a) => new Promise((r) => (a.proc.exitCode !== null ? r(null) : a.proc.once('exit', r)))));
  if (!keep) await rm(dir, { recursive: true, force: true });
}

console.log('\nSummary');
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.step.padEnd(18)} ${r.detail}`);
const failed = results.filter((r) => !r.ok).length;
console.log(failed === 0 ? '\nEvery step behaved as expected.' : `\n${failed} step(s) did not behave as expected.`);
if (keep) console.log(`Files kept in ${dir}`);
process.exitCode = failed === 0 ? 0 : 1;
