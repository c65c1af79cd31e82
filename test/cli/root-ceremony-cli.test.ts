import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, openInitialRoot, utf8Decode, type Envelope } from '@airlock/shared/common';
import { airlock as run } from '../helpers/cli.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';

/**
 * The offline ceremony through the real CLI: a registry begun with a 2-of-3 root (alice's key and two
 * offline key files) rotates to 3-of-5 with one offline key replaced and two new holders added. The
 * draft travels between signers as a file; each `publish` short of a threshold is refused and the
 * registry keeps its root.
 */
const suiteDir = useSuiteTempDirs();
let dir: string;
let home: string;
const as = (args: string[]) => run(['--home', home, '--user', 'alice', ...args]);
const json = async (args: string[]) => {
  const r = await as(['--json', ...args]);
  return { code: r.code, stderr: r.stderr, body: JSON.parse(r.stdout) as { ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } } };
};
const keyFile = (name: string) => join(dir, `${name}.key`);
const keyIdIn = async (file: string) => (JSON.parse(await readFile(file, 'utf8')) as { keyid: string }).keyid;

beforeAll(async () => {
  dir = await suiteDir();
  home = join(dir, 'home');
  const init = await run(['--home', home, 'init', '--admin', 'alice', '--root-threshold', '2', '--extra-root-keys', '2']);
  expect(init.code, init.stderr).toBe(0);
  for (const name of ['dan', 'eve', 'fay']) {
    const r = await run(['keys', 'new', '--out', keyFile(name)]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 60_000);

describe('airlock root propose / sign / show / publish', () => {
  it('rotates a 2-of-3 root to 3-of-5 with one key replaced, refusing each publish that lacks a signature', async () => {
    const draft = join(dir, 'root-2.draft.json');
    const offline2 = join(home, 'keys', 'root-2.key');
    const offline3 = join(home, 'keys', 'root-3.key');
    const proposed = await json([
      'root', 'propose', '--out', draft,
      '--add', `root=${keyFile('dan')}`, '--add', `root=${keyFile('eve')}`, '--add', `root=${keyFile('fay')}`,
      '--remove', `root=${offline3}`, '--threshold', 'root=3',
    ]);
    expect(proposed.body.result).toMatchObject({ version: 2, previousVersion: 1, complete: false, previous: { signed: [], threshold: 2 }, proposed: { signed: [], threshold: 3 } });
    expect((proposed.body.result!.changes as { kind: string }[]).map((c) => c.kind)).toEqual(['key-added', 'key-added', 'key-added', 'key-removed', 'threshold']);

    const publish = () => json(['root', 'publish', draft]);
    const trusted = join(dir, 'root-1.json');
    expect((await json(['root', 'export', '--out', trusted])).code).toBe(0);
    const sign = async (key?: string) => {
      const r = await json(['root', 'sign', draft, ...(key ? ['--key', key, '--root', trusted] : [])]);
      expect(r.code, r.stderr).toBe(0);
      return r.body.result!;
    };
    expect((await publish()).body.error?.code).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    // alice, with her registry key: 1 of v1's 2 root keys, 1 of v2's 3
    expect(await sign()).toMatchObject({ previous: { signed: [expect.any(String)] }, proposed: { signed: [expect.any(String)] } });
    expect((await publish()).body.error?.code).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    // The replaced key: v1's threshold is met, v2 still has 1 of 3.
    expect(await sign(offline3)).toMatchObject({ previous: { signed: [expect.any(String), await keyIdIn(offline3)] }, proposed: { signed: [expect.any(String)] }, complete: false });
    expect((await publish()).body.error?.code).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect(await sign(keyFile('dan'))).toMatchObject({ complete: false });
    expect((await publish()).body.error?.code).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect((await json(['root', 'list'])).body.result).toHaveLength(1);

    // A key of neither root cannot sign; the draft is unchanged.
    const stranger = join(dir, 'stranger.key');
    expect((await run(['keys', 'new', '--out', stranger])).code).toBe(0);
    const refused = await json(['root', 'sign', draft, '--key', stranger, '--root', trusted]);
    expect(refused.body.error?.code).toBe('SIGNATURE_KEY_UNKNOWN');
    expect((await json(['root', 'sign', draft, '--key', keyFile('fay')])).body.error?.code).toBe('USAGE');

    expect(await sign(keyFile('eve'))).toMatchObject({ complete: true });
    const shown = await json(['root', 'show', draft]);
    expect(shown.body.result).toMatchObject({ complete: true, previous: { signed: [expect.any(String), await keyIdIn(offline3)] } });
    const published = await publish();
    expect(published.code, published.stderr).toBe(0);
    expect(published.body.result).toMatchObject({ version: 2 });

    const roots = (await json(['root', 'list'])).body.result as unknown as { version: number; roles: { root: { threshold: number; keyIds: string[] } } }[];
    expect(roots.map((r) => r.version)).toEqual([1, 2]);
    const expected = [(roots[0]!.roles.root.keyIds[0])!, await keyIdIn(offline2), await keyIdIn(keyFile('dan')), await keyIdIn(keyFile('eve')), await keyIdIn(keyFile('fay'))];
    expect(roots[1]!.roles.root).toEqual({ threshold: 3, keyIds: expected });
    const audit = await json(['audit', 'list', '--action', 'root.publish']);
    expect(audit.body.result).toMatchObject([{ actor: 'alice', subject: 'root:2', details: { version: 2 } }]);

    // Published twice, or a draft from the old root: stale.
    expect((await publish()).body.error?.code).toBe('CONFLICT');
  }, 120_000);

  it('refuses a tampered draft, a lowered threshold short of the old keys, and bad arguments, each with its own code', async () => {
    const draft = join(dir, 'root-3.draft.json');
    const v2 = join(dir, 'root-2.json');
    expect((await json(['root', 'export', '--out', v2])).code).toBe(0);
    expect((await json(['root', 'propose', '--out', draft, '--threshold', 'root=1'])).code).toBe(0);
    await json(['root', 'sign', draft]);
    expect((await json(['root', 'sign', draft, '--key', keyFile('dan'), '--root', v2])).code).toBe(0);
    // A signer holding an older root is told the draft does not replace it.
    expect((await json(['root', 'sign', draft, '--key', keyFile('eve'), '--root', join(dir, 'root-1.json')])).body.error?.code).toBe('CONFLICT');
    expect((await json(['root', 'show', draft, '--root', join(dir, 'root-1.json')])).body.error?.code).toBe('CONFLICT');
    // alice and dan: 2 of v2's 3 root keys; the new root needs only 1, but lowering it needs the old 3.
    expect((await json(['root', 'publish', draft])).body.error?.code).toBe('SIGNATURE_THRESHOLD_NOT_MET');

    const text = JSON.parse(await readFile(draft, 'utf8')) as { payload: string };
    const root = JSON.parse(utf8Decode(fromBase64(text.payload))) as { expiresAt: string };
    root.expiresAt = '2099-01-01T00:00:00.000Z';
    await writeFile(draft, JSON.stringify({ ...text, payload: Buffer.from(JSON.stringify(root)).toString('base64') }));
    expect((await json(['root', 'show', draft])).body.error?.code).toBe('SIGNATURE_INVALID');
    expect((await json(['root', 'sign', draft, '--key', keyFile('eve'), '--root', v2])).body.error?.code).toBe('SIGNATURE_INVALID');

    expect((await json(['root', 'propose', '--out', join(dir, 'x.json'), '--add', 'owner=user:alice'])).body.error?.code).toBe('USAGE');
    expect((await json(['root', 'propose', '--out', join(dir, 'y.json'), '--threshold', 'release=9'])).body.error?.code).toBe('INVALID_INPUT');
    expect((await json(['root', 'propose', '--out', join(dir, 'z.json')])).body.error?.code).toBe('INVALID_INPUT');
    expect((await json(['root', 'propose', '--out', draft, '--threshold', 'root=2'])).body.error?.code).toBe('ALREADY_EXISTS');
    const exported = join(dir, 'root.json');
    expect((await json(['root', 'export', '--out', exported])).code).toBe(0);
    expect(openInitialRoot(JSON.parse(await readFile(exported, 'utf8')) as Envelope).version).toBe(2);
  }, 120_000);

  it('adds an approver whose key must wait for a ceremony when the root needs more than one signature', async () => {
    const r = await json(['user', 'add', 'carol', '--role', 'approver']);
    expect(r.body.result).toMatchObject({ name: 'carol', rootVersion: null, pendingRootRoles: ['approver'] });
    const text = await as(['user', 'add', 'olga', '--role', 'operator']);
    expect(text.stdout).toContain('airlock root propose --add release=user:olga --out DRAFT');
    const joins = join(dir, 'carol.draft.json');
    expect((await json(['root', 'propose', '--out', joins, '--add', 'approver=user:carol'])).body.result).toMatchObject({ version: 3, changes: [{ kind: 'key-added', role: 'approver' }] });
    const v2 = join(dir, 'root-2.json');
    for (const key of [undefined, keyFile('dan'), keyFile('eve')]) expect((await json(['root', 'sign', joins, ...(key ? ['--key', key, '--root', v2] : [])])).code).toBe(0);
    expect((await json(['root', 'publish', joins])).code).toBe(0);
    const carolKey = ((await json(['user', 'list'])).body.result as unknown as { name: string; keyId: string }[]).find((u) => u.name === 'carol')!.keyId;

    // carol leaves: the root needs three signatures, so revoking her writes the ceremony's draft.
    const noDraft = await json(['user', 'revoke', 'carol', '--reason', 'left']);
    expect(noDraft.body.error?.code).toBe('USAGE');
    expect(((await json(['user', 'list'])).body.result as unknown as { name: string; disabled: boolean }[]).find((u) => u.name === 'carol')!.disabled).toBe(false);
    const leaves = join(dir, 'carol-leaves.draft.json');
    const revoked = await json(['user', 'revoke', 'carol', '--reason', 'left', '--draft', leaves]);
    expect(revoked.body.result).toMatchObject({ disabled: true, rootVersion: null, draft: leaves, rootRoles: ['approver'] });
    expect((await json(['root', 'show', leaves])).body.result).toMatchObject({ version: 4, changes: [{ kind: 'key-removed', role: 'approver', keyid: carolKey }] });
    const v3 = join(dir, 'root-3.json');
    expect((await json(['root', 'export', '--out', v3])).code).toBe(0);
    for (const key of [undefined, keyFile('dan'), keyFile('eve')]) expect((await json(['root', 'sign', leaves, ...(key ? ['--key', key, '--root', v3] : [])])).code).toBe(0);
    expect((await json(['root', 'publish', leaves])).code).toBe(0);
    const roots = (await json(['root', 'list'])).body.result as unknown as { version: number; roles: { approver: { keyIds: string[] } } }[];
    expect(roots.map((r) => [r.version, r.roles.approver.keyIds.includes(carolKey)])).toEqual([[1, false], [2, false], [3, true], [4, false]]);
  }, 60_000);
});
