import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { agentCli } from '../helpers/agent.js';
import { airlock as run, CLI } from '../helpers/cli.js';
import { CHURN } from '../helpers/registry.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';

/** What the CLI promises an operator on a bad day: codes, exit codes, where output goes, nothing lost. */
const suiteDir = useSuiteTempDirs();
let dir: string;
let home: string;
const as = (user: string, args: string[], env: Record<string, string | undefined> = {}) => run(['--home', home, '--user', user, ...args], { env });
const json = (r: { stdout: string }) => JSON.parse(r.stdout) as { ok: boolean; result?: unknown; error?: { code: string; message: string } };

beforeAll(async () => {
  dir = await suiteDir();
  home = join(dir, 'home');
  expect((await run(['--home', home, 'init', '--admin', 'alice'])).code).toBe(0);
  for (const [name, role] of [['bob', 'ml-engineer'], ['olga', 'operator'], ['carol', 'approver']]) expect((await as('alice', ['user', 'add', name!, '--role', role!])).code).toBe(0);
  expect((await as('bob', ['model', 'import', CHURN, '--model', 'churn'])).code).toBe(0);
}, 60_000);

describe('the CLI keeps its promises', () => {
  it('a refused promotion is ok: false in --json, exits 1, and says why on stderr in text', async () => {
    const r = await as('bob', ['--json', 'promote', 'request', 'churn@1', '--env', 'nowhere']);
    expect([r.code, json(r).ok, json(r).error?.code]).toEqual([1, false, 'NOT_FOUND']);
    expect((await as('alice', ['env', 'create', 'prod', '--tier', '1', '--approvals', '1'])).code).toBe(0);
    const gates = await as('bob', ['--json', 'promote', 'request', 'churn@1', '--env', 'prod']);
    expect([gates.code, json(gates).ok, json(gates).error?.code]).toEqual([1, false, 'GATE_FAILED']);
    expect(json(gates).result).toMatchObject({ promotion: { state: 'gates_failed' } });
    const text = await as('bob', ['promote', 'request', 'churn@1', '--env', 'prod']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/churn@1 → prod, now gates failed/);
    expect(text.stderr).toMatch(/^error GATE_FAILED: .*lifecycle/m);
  });

  it('a destination that does not exist is refused (an unmounted stick), unless --mkdir', async () => {
    expect((await as('bob', ['version', 'validate', 'churn@1'])).code).toBe(0);
    expect((await as('alice', ['env', 'create', 'lab', '--tier', '0', '--approvals', '0'])).code).toBe(0);
    expect((await as('bob', ['promote', 'request', 'churn@1', '--env', 'lab'])).code).toBe(0);
    expect((await as('olga', ['deploy', 'create', 'churn', '--env', 'lab'])).code).toBe(0);
    const stick = join(dir, 'media', 'usb');
    const missing = await as('olga', ['bundle', 'export', '1', '--out', stick]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/^error IO_ERROR: .*media\/usb does not exist: is the stick mounted\? Pass --mkdir/)]);
    expect(missing.stdout).toBe('');
    const made = await as('olga', ['bundle', 'export', '1', '--out', stick, '--mkdir']);
    expect(made.code, made.stderr).toBe(0);
    expect(await readdir(stick)).toEqual([expect.stringMatching(/^lab-000001-churn-1\.airlock$/)]);
    await writeFile(join(dir, 'a-file'), 'x');
    const notFolder = await as('olga', ['bundle', 'export', '1', '--out', join(dir, 'a-file')]);
    expect(notFolder.stderr).toMatch(/^error IO_ERROR: .*a-file is a file, not a folder/);
  });

  it('a file-system failure is IO_ERROR naming the path, never INTERNAL', async () => {
    // A path through a file: ENOTDIR whoever runs it (a permission test would pass as root).
    await writeFile(join(dir, 'plain-file'), 'x');
    const r = await as('olga', ['root', 'export', '--out', join(dir, 'plain-file', 'root.json')]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/^error IO_ERROR: Cannot write .*plain-file\/root.json: ENOTDIR/)]);
    const keys = await run(['keys', 'init', '--dir', join(dir, 'plain-file', 'keys')]);
    expect([keys.code, keys.stderr]).toEqual([1, expect.stringMatching(/^error IO_ERROR: Cannot mkdir .*plain-file\/keys: a part of the path is a file, not a folder/)]);
    const notThere = await as('olga', ['reports', 'import', join(dir, 'no-such-folder')]);
    expect(notThere.stderr).toMatch(/^error (NOT_FOUND|IO_ERROR): .*no-such-folder/);
  });

  it('with --json, usage mistakes and a bad agent configuration are JSON too', async () => {
    const usage = await run(['--json', 'promote', 'approve']);
    expect([usage.code, json(usage), usage.stderr]).toEqual([2, { ok: false, error: { code: 'USAGE', message: "missing required argument 'id'" } }, '']);
    const agentUsage = await agentCli(['--json', 'bogus']);
    expect([agentUsage.code, json(agentUsage).error?.code, agentUsage.stderr]).toEqual([2, 'USAGE', '']);
    const config = join(dir, 'agent.json');
    await writeFile(config, JSON.stringify({ stateDir: dir, slots: { churn: { listen: 0 } }, bogus: true }));
    const bad = await agentCli(['--json', '--config', config, 'run']);
    expect(bad.code).toBe(2);
    expect(json(bad).error).toMatchObject({ code: 'CONFIG_INVALID', details: { problems: expect.arrayContaining([expect.stringMatching(/listen/), expect.stringMatching(/bogus/)]) } });
  });

  it('an argument that is not a number is a usage error (exit 2) with the reason', async () => {
    const r = await as('carol', ['promote', 'approve', 'abc']);
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/^error USAGE: promotion id must be a whole number/)]);
  });

  it('a folder without airlock-model.json needs --kind, and the import says what it assumed', async () => {
    const bare = join(dir, 'bare');
    await mkdir(bare);
    await writeFile(join(bare, 'weights.onnx'), 'weights');
    const refused = await as('bob', ['model', 'import', bare, '--model', 'bare']);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringMatching(/^error USAGE: There is no airlock-model.json in .*--kind \(classic, llm/)]);
    const done = await as('bob', ['model', 'import', bare, '--model', 'bare', '--kind', 'vision']);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^assumed  no airlock-model.json: component roles come from file names.*cannot be deployed/m);
  });

  it('a passphrase file others can read is refused; one of its own opens the key; the error names whose key', async () => {
    const file = join(dir, 'bob.pass');
    await writeFile(file, 'test-passphrase\n', { mode: 0o644 });
    const open = await as('bob', ['model', 'list'], { AIRLOCK_PASSPHRASE: undefined, AIRLOCK_PASSPHRASE_FILE: file });
    expect([open.code, open.stderr]).toEqual([2, expect.stringMatching(/can be read by others: run `chmod 600 /)]);
    await chmod(file, 0o600);
    expect((await as('bob', ['model', 'list'], { AIRLOCK_PASSPHRASE: undefined, AIRLOCK_PASSPHRASE_FILE: file })).code).toBe(0);
    const wrong = await as('bob', ['model', 'list'], { AIRLOCK_PASSPHRASE: 'guess' });
    expect(wrong.stderr).toMatch(/^error KEY_PASSPHRASE_WRONG: The passphrase does not open bob's key/);
  });

  it('Ctrl-C at the passphrase prompt cancels with exit 130 and changes nothing', () => {
    // A real terminal: Python's pty runs the CLI, waits for the prompt, and presses Ctrl-C.
    const driver = `
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvpe(sys.argv[1], sys.argv[1:], {k: v for k, v in os.environ.items() if k != 'AIRLOCK_PASSPHRASE'})
out = b''
while b'Passphrase' not in out:
    out += os.read(fd, 1024)
os.write(fd, b'\\x03')
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk: break
        out += chunk
except OSError:
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
    const r = spawnSync('python3', ['-c', driver, process.execPath, CLI, '--home', home, '--user', 'alice', 'env', 'create', 'never', '--tier', '3'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stdout + r.stderr).toBe(130);
    expect(r.stdout).toMatch(/CANCELLED: Cancelled at the passphrase prompt; nothing was changed/);
  });
});
