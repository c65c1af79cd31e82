/**
 * The quick-start demo (`npm run demo`): the signed-bundle round trip with the real `airlock` CLI,
 * in a temporary folder, with no flags needed. Exits 0 only if every step behaved as expected.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';

const keep = process.argv.includes('--keep');
const dir = await mkdtemp(join(tmpdir(), 'airlock-demo-'));
const env = { ...process.env, AIRLOCK_PASSPHRASE: process.env.AIRLOCK_PASSPHRASE ?? 'demo-passphrase' };
const results: { step: string; ok: boolean; detail: string }[] = [];
let stepNo = 0;
const STEPS = 5;
const CLI_CALLS = 4;

function step(title: string): void {
  console.log(`\n[${++stepNo}/${STEPS}] ${title}`);
}

function airlock(args: string[], expectCode: number, label: string): string {
  console.log(`  $ airlock ${args.join(' ').replaceAll(dir, '$DEMO')}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`.trimEnd();
  console.log(out.replace(/^/gm, '    '));
  const ok = r.status === expectCode;
  results.push({ step: label, ok, detail: `exit ${r.status} (expected ${expectCode}) in ${Date.now() - started} ms` });
  return out;
}

try {
  console.log(`Airlock quick start: a signed bundle round trip in ${dir}`);
  step('Create a release key (encrypted) and a root of trust');
  airlock(['keys', 'init', '--dir', join(dir, 'keys')], 0, 'keys init');

  step('Write an example model: 64 MiB of weights and a config');
  await writeFile(join(dir, 'weights.bin'), randomBytes(64 * 1024 * 1024));
  await writeFile(join(dir, 'config.json'), `${JSON.stringify({ threshold: 0.5, labels: ['setosa', 'versicolor', 'virginica'] }, null, 2)}\n`);
  console.log('    weights.bin, config.json');

  step('Sign them into a deployment bundle for environment "demo"');
  const bundle = join(dir, 'iris-1.airlock');
  airlock(['bundle', 'create', join(dir, 'weights.bin'), join(dir, 'config.json'), '--key', join(dir, 'keys/release.key'), '--root', join(dir, 'keys/root.json'), '--out', bundle, '--env', 'demo', '--model', 'iris', '--kind', 'classic'], 0, 'bundle create');

  step('Verify it as a serving host would: signatures, expiry, every blob re-hashed');
  airlock(['bundle', 'verify', bundle, '--root', join(dir, 'keys/root.json')], 0, 'bundle verify');

  step('Flip one byte of the weights in a copy: the host must refuse it');
  const bytes = await readFile(bundle);
  bytes[bytes.length - 4 * 1024 * 1024]! ^= 0x01;
  const tampered = join(dir, 'tampered.airlock');
  await writeFile(tampered, bytes);
  const refusal = airlock(['bundle', 'verify', tampered, '--root', join(dir, 'keys/root.json')], 1, 'tampered bundle refused');
  if (!/BLOB_DIGEST_MISMATCH/.test(refusal)) results.at(-1)!.ok = false;
} finally {
  if (!keep) await rm(dir, { recursive: true, force: true });
}

console.log('\nSummary');
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.step.padEnd(26)} ${r.detail}`);
const failed = results.filter((r) => !r.ok).length;
console.log(failed === 0 ? '\nEvery step behaved as expected.' : `\n${failed} step(s) did not behave as expected.`);
if (keep) console.log(`Files kept in ${dir}`);
process.exitCode = failed === 0 && results.length === CLI_CALLS ? 0 : 1;
