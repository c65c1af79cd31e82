import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { airlock } from '../helpers/cli.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';

const suiteDir = useSuiteTempDirs();
let dir: string;
let bundle: string;
const payload = randomBytes(200_000);

beforeAll(async () => {
  dir = await suiteDir();
  await writeFile(join(dir, 'model.bin'), payload);
  await writeFile(join(dir, 'config.json'), '{"threshold":0.5}\n');
  const init = await airlock(['keys', 'init', '--dir', join(dir, 'keys')]);
  expect(init.code, init.stderr).toBe(0);
  bundle = join(dir, 'm.airlock');
  const create = await airlock(['bundle', 'create', join(dir, 'model.bin'), join(dir, 'config.json'), '--key', join(dir, 'keys/release.key'), '--root', join(dir, 'keys/root.json'), '--out', bundle, '--env', 'prod', '--model', 'iris', '--kind', 'classic', '--sequence', '3']);
  expect(create.code, create.stderr).toBe(0);
});

describe('airlock CLI: keys and bundles', () => {
  it('keys init writes a private key readable only by its owner and a self-signed root', async () => {
    expect((await stat(join(dir, 'keys/release.key'))).mode & 0o777).toBe(0o600);
    const root = JSON.parse(await readFile(join(dir, 'keys/root.json'), 'utf8'));
    expect(root.payloadType).toBe('application/vnd.airlock.root+json');
  });

  it('keys init refuses to overwrite, as data with --json', async () => {
    const again = await airlock(['--json', 'keys', 'init', '--dir', join(dir, 'keys')]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: false, error: { code: 'ALREADY_EXISTS' } });
  });

  it('bundle verify prints the manifest summary; --json for scripts', async () => {
    const human = await airlock(['bundle', 'verify', bundle, '--root', join(dir, 'keys/root.json')]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/verified \(root version 1\)/);
    expect(human.stdout).toMatch(/slot\s+main: iris@1 \(classic\) 2 file\(s\), 195.3 KiB/);
    const json = JSON.parse((await airlock(['--json', 'bundle', 'verify', bundle, '--root', join(dir, 'keys/root.json')])).stdout);
    expect(json).toMatchObject({ ok: true, result: { verified: true, channel: 'default', sequence: 3, targets: { environment: 'prod' } } });
  });

  it('bundle verify names the failure with its code and exits 1', async () => {
    const bytes = await readFile(bundle);
    bytes[bytes.indexOf(payload) + 99_999]! ^= 0xff;
    const tampered = join(dir, 'tampered.airlock');
    await writeFile(tampered, bytes);
    const result = await airlock(['bundle', 'verify', tampered, '--root', join(dir, 'keys/root.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error BLOB_DIGEST_MISMATCH: /);

    const late = await airlock(['bundle', 'verify', bundle, '--root', join(dir, 'keys/root.json'), '--now', new Date(Date.now() + 60 * 86_400_000).toISOString()]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/^error BUNDLE_EXPIRED: /);
  });

  it('a wrong passphrase is refused with its code; no passphrase and no terminal is a usage error', async () => {
    const args = ['bundle', 'create', join(dir, 'config.json'), '--key', join(dir, 'keys/release.key'), '--root', join(dir, 'keys/root.json'), '--out', join(dir, 'x.airlock'), '--env', 'prod'];
    const wrong = await airlock(args, { env: { AIRLOCK_PASSPHRASE: 'nope' } });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/KEY_PASSPHRASE_WRONG/);
    const none = await airlock(args, { env: { AIRLOCK_PASSPHRASE: undefined } });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/AIRLOCK_PASSPHRASE/);
    await expect(stat(join(dir, 'x.airlock'))).rejects.toThrow();
  });

  const usage: [string, string[]][] = [
    ['missing required option', ['bundle', 'verify', 'x.airlock']],
    ['unknown command', ['bundel', 'verify']],
    ['bad number', ['bundle', 'create', 'f', '--key', 'k', '--root', 'r', '--out', 'o', '--env', 'e', '--sequence', 'two']],
    ['bad choice', ['bundle', 'create', 'f', '--key', 'k', '--root', 'r', '--out', 'o', '--env', 'e', '--kind', 'robot']],
    ['no targets', ['bundle', 'create', 'f', '--key', 'k', '--root', 'r', '--out', 'o']],
    ['bad --now', ['bundle', 'verify', 'x', '--root', 'r', '--now', 'yesterday']],
  ];
  it.each(usage)('usage error (%s) exits 2', async (_name, args) => {
    expect((await airlock(args)).code).toBe(2);
  });

  it('--help exits 0 and lists the commands', async () => {
    const help = await airlock(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/keys/);
    expect(help.stdout).toMatch(/bundle/);
    expect((await airlock(['bundle', 'create', '--help'])).stdout).toMatch(/--sequence/);
  });
});
