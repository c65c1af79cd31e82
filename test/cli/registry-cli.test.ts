import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOST_RESET_PAYLOAD_TYPE, HostResetSchema, openInitialRoot, roleKeys, utf8Decode, verifyEnvelope, type Envelope } from '@airlock/shared/common';
import { commandPaths } from '../../apps/console/src/cli/program.js';
import { airlock as run } from '../helpers/cli.js';
import { enrollment, hostKey, report } from '../helpers/hosts.js';
import { CHURN, churnVariant, TINY_LLM } from '../helpers/registry.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';

const suiteDir = useSuiteTempDirs();
let home: string;
const as = (user: string, args: string[]) => run(['--home', home, '--user', user, ...args]);
const json = async (user: string, args: string[]) => {
  const r = await as(user, ['--json', ...args]);
  return { code: r.code, body: JSON.parse(r.stdout) as { ok: boolean; result?: unknown; error?: { code: string; message: string } } };
};

beforeAll(async () => {
  home = join(await suiteDir(), 'home');
  expect((await run(['--home', home, 'init', '--admin', 'alice'])).code).toBe(0);
  for (const [name, role] of [['bob', 'ml-engineer'], ['carol', 'approver'], ['olga', 'operator'], ['aud', 'auditor']]) {
    const r = await as('alice', ['user', 'add', name!, '--role', role!]);
    expect(r.code, r.stderr).toBe(0);
  }
});

describe('airlock CLI: the registry journey', () => {
  it('imports, evaluates, validates, promotes, approves, rolls back and verifies', async () => {
    const imported = await json('bob', ['model', 'import', CHURN, '--model', 'churn']);
    expect(imported.body.result).toMatchObject({ created: true, ref: 'churn@1', state: 'registered' });
    expect((await json('bob', ['model', 'import', CHURN, '--model', 'churn'])).body.result).toMatchObject({ created: false, ref: 'churn@1' });
    expect((await json('bob', ['model', 'import', TINY_LLM, '--model', 'tiny-llm'])).body.result).toMatchObject({ ref: 'tiny-llm@1' });

    const ev = await json('bob', ['eval', 'run', 'churn@1', '--suite', 'holdout']);
    expect(ev.code).toBe(0);
    expect((ev.body.result as { metrics: { accuracy: number } }).metrics.accuracy).toBeGreaterThan(0.8);
    expect((await as('bob', ['version', 'validate', 'churn@1'])).code).toBe(0);

    const policy = join(home, '..', 'policy.json');
    await writeFile(policy, JSON.stringify({ requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8 }] }], approvals: 1 }));
    expect((await as('alice', ['env', 'create', 'prod', '--tier', '1', '--policy', policy])).code).toBe(0);

    const req = await json('bob', ['promote', 'request', 'churn@1', '--env', 'prod']);
    expect(req.body.result).toMatchObject({ promotion: { state: 'awaiting_approval' } });
    const id = String((req.body.result as { promotion: { id: number } }).promotion.id);
    const self = await as('bob', ['promote', 'approve', id]);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/^error FORBIDDEN: /);
    expect((await json('carol', ['promote', 'approve', id])).body.result).toMatchObject({ promotion: { state: 'active' } });

    const v2 = await json('bob', ['model', 'import', await churnVariant(await suiteDir(), 'cli'), '--model', 'churn']);
    expect(v2.body.result).toMatchObject({ ref: 'churn@2' });
    const failed = await as('bob', ['promote', 'request', 'churn@2', '--env', 'prod']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error GATE_FAILED: .*lifecycle/m);

    const diff = await json('aud', ['version', 'diff', 'churn@1', 'churn@2']);
    expect(diff.body.result).toMatchObject({ components: { added: ['NOTES.md'] } });

    await as('bob', ['eval', 'run', 'churn@2', '--suite', 'holdout']);
    await as('bob', ['version', 'validate', 'churn@2']);
    const req2 = await json('bob', ['promote', 'request', 'churn@2', '--env', 'prod']);
    await as('carol', ['promote', 'approve', String((req2.body.result as { promotion: { id: number } }).promotion.id)]);
    const rb = await json('olga', ['rollback', 'churn', '--env', 'prod', '--reason', 'drill']);
    expect(rb.body.result).toMatchObject({ promotion: { version: 'churn@1', state: 'active', breakGlass: true } });
    const reviews = await json('aud', ['review', 'list']);
    expect(reviews.body.result).toEqual([expect.objectContaining({ kind: 'rollback' })]);

    expect((await as('aud', ['audit', 'verify'])).stdout).toMatch(/audit log intact: \d+ events/);
    const verify = await as('aud', ['verify']);
    expect(verify.code, verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/registry intact/);
  });

  it('two processes writing at once lose nothing and keep the chain intact', async () => {
    await as('bob', ['model', 'import', CHURN, '--model', 'churn']);
    const before = (await json('aud', ['audit', 'list', '--limit', '1'])).body.result as { seq: number }[];
    const writer = async (tag: string) => {
      for (let i = 0; i < 6; i++) {
        const r = await as('bob', ['eval', 'record', 'churn@1', join(home, '..', `r-${tag}-${i}.json`), '--suite', 'holdout']);
        expect(r.code, r.stderr).toBe(0);
      }
    };
    for (const tag of ['a', 'b']) for (let i = 0; i < 6; i++) await writeFile(join(home, '..', `r-${tag}-${i}.json`), JSON.stringify({ metrics: { accuracy: 0.9, run: i } }));
    const variants = await Promise.all(['a', 'b'].map(async (v) => churnVariant(await suiteDir(), `race-${v}`)));
    await Promise.all([writer('a'), writer('b'), ...variants.map((dir) => as('bob', ['model', 'import', dir, '--model', 'churn']))]);
    const after = (await json('aud', ['audit', 'list', '--limit', '1'])).body.result as { seq: number }[];
    expect(after[0]!.seq - before[0]!.seq).toBe(14);
    const shown = (await json('aud', ['model', 'show', 'churn'])).body.result as { versions: { number: number }[] };
    expect(shown.versions.map((v) => v.number)).toEqual([1, 2, 3, 4]);
    expect((await as('aud', ['audit', 'verify'])).code).toBe(0);
    // Results for a suite the version does not declare would satisfy a gate for nothing.
    const undeclared = await as('bob', ['eval', 'record', 'churn@1', join(home, '..', 'r-a-0.json'), '--suite', 'smoke']);
    expect([undeclared.code, undeclared.stderr]).toEqual([1, 'error NOT_FOUND: churn@1 declares no suite "smoke"; it declares holdout.\n']);
  }, 60_000);

  it('names the acting user: unknown users and wrong passphrases are refused', async () => {
    expect((await as('mallory', ['model', 'list'])).stderr).toMatch(/^error UNAUTHENTICATED/);
    const wrong = await run(['--home', home, '--user', 'bob', 'model', 'annotate', 'churn', '--tag', 'x'], { env: { AIRLOCK_PASSPHRASE: 'guess' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/KEY_PASSPHRASE_WRONG/);
    const noHome = await run(['--home', join(home, 'nope'), '--user', 'bob', 'model', 'list']);
    expect(noHome.stderr).toMatch(/REGISTRY_NOT_FOUND/);
  });

  it('reads are authenticated like writes: no passphrase, no listing', async () => {
    const noPass = await run(['--home', home, '--user', 'aud', 'model', 'list'], { env: { AIRLOCK_PASSPHRASE: undefined } });
    expect([noPass.code, noPass.stderr]).toEqual([2, expect.stringMatching(/^error USAGE: A passphrase is needed/)]);
    const wrong = await run(['--home', home, '--user', 'aud', 'audit', 'list'], { env: { AIRLOCK_PASSPHRASE: 'guess' } });
    expect([wrong.code, wrong.stderr]).toEqual([1, expect.stringMatching(/^error KEY_PASSPHRASE_WRONG/)]);
    expect(wrong.stdout).toBe('');
    expect((await as('aud', ['model', 'list'])).code).toBe(0);
  });

  it('an auditor anchors the audit head on media; audit verify and verify check the log still reaches it', async () => {
    const anchor = join(home, '..', 'anchor.json');
    const made = await json('aud', ['audit', 'anchor', '--out', anchor]);
    expect(made.code).toBe(0);
    const head = (made.body.result as { head: { seq: number } }).head;
    expect((await json('aud', ['audit', 'list', '--limit', '1'])).body.result).toEqual([expect.objectContaining({ seq: head.seq })]);
    const again = await as('aud', ['audit', 'anchor', '--out', anchor]);
    expect([again.code, again.stderr], 'an anchor file is never overwritten').toEqual([1, expect.stringMatching(/^error ALREADY_EXISTS/)]);
    const checked = await as('aud', ['audit', 'verify', '--anchor', anchor]);
    expect([checked.code, checked.stdout]).toEqual([0, expect.stringMatching(new RegExp(`head \\d+ .*reaches 1 anchor`))]);
    expect((await as('aud', ['verify', '--anchor', anchor])).code).toBe(0);
    const missing = await as('aud', ['audit', 'verify', '--anchor', join(home, '..', 'nope.json')]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/^error IO_ERROR: Cannot read the anchor file/)]);
    // An anchor kept inside the registry's own folder proves nothing (whoever holds the folder can rewrite it): refused.
    const inside = await as('aud', ['audit', 'verify', '--anchor', join(home, 'anchor.json')]);
    expect([inside.code, inside.stderr]).toEqual([1, expect.stringMatching(/^error INVALID_INPUT: .*lies inside the registry's own folder/)]);
  });

  it('gc is for admins and says what it removed', async () => {
    expect((await as('bob', ['gc'])).stderr).toMatch(/^error FORBIDDEN/);
    const r = await json('alice', ['gc', '--min-age-minutes', '0']);
    expect(r.body).toMatchObject({ ok: true, result: { removed: 0 } });
  });

  it('writes a signed rollback authorisation for hosts, only for approvers', async () => {
    const out = join(home, '..', 'rollback-churn-1.json');
    const ok = await json('carol', ['authorise-rollback', 'churn@1', '--env', 'prod', '--reason', 'v2 mis-scores annual contracts', '--valid-for', '4', '--out', out]);
    expect(ok.code).toBe(0);
    expect(ok.body.result).toMatchObject({ model: 'churn', version: 1, slot: 'churn', targets: { environment: 'prod', hosts: [] }, issuedBy: 'carol', file: out });
    const envelope = JSON.parse(await readFile(out, 'utf8')) as { payloadType: string; signatures: unknown[] };
    expect(envelope).toMatchObject({ payloadType: 'application/vnd.airlock.rollback-authorisation+json', signatures: [expect.anything()] });
    expect((await as('olga', ['authorise-rollback', 'churn@1', '--env', 'prod', '--reason', 'r', '--out', out])).stderr).toMatch(/^error FORBIDDEN/);
    const usage = await as('carol', ['authorise-rollback', 'churn@1', '--env', 'prod', '--reason', 'r', '--valid-for', '0', '--out', out]);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringMatching(/--valid-for must be a whole number from 1 to 720/)]);
  });

  it('an admin signs a host reset from the bundles the registry issued and the reports it imported; no one else may', async () => {
    const dir = await suiteDir();
    const h = hostKey('host-r');
    await writeFile(join(dir, 'host-r.enrollment.json'), enrollment(h));
    expect((await as('olga', ['host', 'enroll', join(dir, 'host-r.enrollment.json')])).code).toBe(0);
    expect((await as('olga', ['host', 'assign', 'host-r', '--env', 'prod'])).code).toBe(0);
    // Two bundles on channel prod: #1 raises churn's floor to 1, #2 ships floor 0. The host reported twice.
    const stick = join(dir, 'stick');
    await mkdir(stick);
    for (const floor of ['1', '0']) {
      const d = await json('olga', ['deploy', 'create', 'churn', '--env', 'prod', '--hosts', 'host-r', '--floor', floor]);
      expect(d.code, JSON.stringify(d.body)).toBe(0);
      const { id, bundleId } = d.body.result as { id: number; bundleId: string };
      expect((await as('olga', ['bundle', 'export', String(id), '--out', stick])).code).toBe(0);
      await writeFile(join(dir, `receipt-${id}.json`), report(h, 'receipt', { bundleId, outcome: 'applied', slots: [], timings: {} }));
    }
    await mkdir(join(dir, 'reports'));
    for (const n of [1, 2]) await writeFile(join(dir, 'reports', `${n}.json`), await readFile(join(dir, `receipt-${n}.json`)));
    expect((await json('olga', ['reports', 'import', join(dir, 'reports')])).body.result).toMatchObject({ imported: 2 });

    const out = join(dir, 'host-r.reset.json');
    const ok = await json('alice', ['host', 'reset', 'host-r', '--reason', 'counters lost with the disk', '--valid-hours', '4', '--out', out]);
    expect(ok.code, JSON.stringify(ok.body)).toBe(0);
    const { file, ...reset } = ok.body.result as { file: string } & Record<string, unknown>;
    expect(file).toBe(out);
    const rootFile = join(dir, 'root.json');
    expect((await as('aud', ['root', 'export', '--out', rootFile])).code).toBe(0);
    const root = openInitialRoot(JSON.parse(await readFile(rootFile, 'utf8')) as Envelope);
    const { payload } = verifyEnvelope(JSON.parse(await readFile(out, 'utf8')) as Envelope, HOST_RESET_PAYLOAD_TYPE, roleKeys(root, 'release'), 'host reset');
    const signed = HostResetSchema.parse(JSON.parse(utf8Decode(payload)));
    expect(signed).toEqual(reset);
    expect(signed).toMatchObject({ hostId: 'host-r', channels: { prod: 2 }, floors: { churn: 1 }, reportSeq: 2, issuedBy: 'alice', reason: 'counters lost with the disk' });
    expect(Date.parse(signed.expiresAt) - Date.parse(signed.issuedAt)).toBe(4 * 3_600_000);

    const again = await as('alice', ['host', 'reset', 'host-r', '--reason', 'again', '--out', out]);
    expect([again.code, again.stderr], 'a reset file is never overwritten').toEqual([1, expect.stringMatching(/^error ALREADY_EXISTS/)]);
    const human = await as('alice', ['host', 'reset', 'host-r', '--reason', 'counters lost with the disk', '--out', join(dir, 'second.json')]);
    expect(human.stdout).toMatch(/host-r will take only bundles after prod #2, keep security floors churn ≥ 1 and number its reports after #2 once it applies this \(before \S+\); written to \S+second\.json, to carry to host-r and apply there with `airlock-agent recover --reset \S+second\.json`/);
    const audit = (await json('aud', ['audit', 'list', '--limit', '1'])).body.result as { actor: string; action: string; subject: string; details: Record<string, unknown> }[];
    expect(audit[0]).toMatchObject({ actor: 'alice', action: 'host.reset', subject: 'host:host-r', details: { channels: { prod: 2 }, floors: { churn: 1 }, reportSeq: 2 } });

    for (const who of ['olga', 'carol']) expect((await as(who, ['host', 'reset', 'host-r', '--reason', 'r', '--out', join(dir, `${who}.json`)])).stderr).toMatch(/^error FORBIDDEN/);
    expect((await as('alice', ['host', 'reset', 'nobody', '--reason', 'r', '--out', join(dir, 'nobody.json')])).stderr).toMatch(/^error HOST_UNKNOWN/);
    const usage = await as('alice', ['host', 'reset', 'host-r', '--reason', 'r', '--valid-hours', '721', '--out', join(dir, 'long.json')]);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringMatching(/--valid-hours must be a whole number from 1 to 720/)]);
    expect((await as('aud', ['verify'])).code).toBe(0);
  }, 60_000);

  it('a user whose own row was edited is refused for work, yet can still run verify, which names the row', async () => {
    const own = join(await suiteDir(), 'damaged');
    expect((await run(['--home', own, 'init', '--admin', 'alice'])).code).toBe(0);
    expect((await run(['--home', own, '--user', 'alice', 'user', 'add', 'aud', '--role', 'auditor'])).code).toBe(0);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(own, 'registry.sqlite'));
    db.exec(`UPDATE users SET roles = '["auditor","approver"]' WHERE name = 'aud'`);
    db.close();
    const work = await run(['--home', own, '--user', 'aud', 'model', 'list']);
    expect([work.code, work.stderr]).toEqual([1, expect.stringMatching(/^error INTEGRITY_FAILED: users row \[2\] differs .* column\(s\) roles/)]);
    const verify = await run(['--home', own, '--user', 'aud', 'verify']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/problem INTEGRITY_FAILED: users row \[2\] differs from what audit event \d+ sealed in column\(s\) roles/);
  });

  it('every command has --help', async () => {
    const paths = commandPaths();
    expect(paths.length).toBeGreaterThan(30);
    const results = await Promise.all(paths.map((p) => run([...p, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, paths[i]!.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: airlock /);
    });
  }, 60_000);
});
