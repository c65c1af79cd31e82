import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, signEnvelope, utf8Decode, verifyEnvelope, type Envelope } from '@airlock/shared/common';
import { components } from '../../apps/console/src/registry/repos/components.js';
import { importReports } from '../../apps/console/src/registry/services/reports.js';
import { airlock } from '../helpers/cli.js';
import { report, statusBody } from '../helpers/hosts.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { makeWorld, type World } from '../helpers/world.js';

/**
 * The compliance report through the real CLI, issued by an auditor over the world's prod: signed by
 * the auditor's key over the file's digest, reproducible byte for byte, with every section present and
 * each drawn from the registry (the facts checked here are read from the registry independently, by
 * the CLI as another person, not from the report's own data).
 */
const suiteDir = useSuiteTempDirs();
let dir: string;
let w: World;
const as = async <T,>(user: string, args: string[]): Promise<T> => {
  const r = await airlock(['--home', w.reg.home.dir, '--user', user, '--json', ...args]);
  const body = JSON.parse(r.stdout) as { ok: boolean; result: T; error?: { code: string } };
  if (!body.ok) throw Object.assign(new Error(body.error!.code), { code: body.error!.code });
  return body.result;
};
const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

beforeAll(async () => {
  dir = await suiteDir();
  w = await makeWorld(join(dir, 'world'));
  // Two status reports with latency, so the chart has a line to draw.
  const digests = components.of(w.reg.db, w.versionId).map((c) => c.digest);
  const stick = join(dir, 'latency');
  await mkdir(stick);
  for (const [i, p95] of [[4, 12.5], [5, 18.25]] as const) {
    const body = statusBody({ slot: 'churn', model: 'churn', version: 1, digest: (await as<{ version: { digest: string } }>('aud', ['model', 'show', 'churn@1'])).version.digest, healthy: true }, digests);
    body.slots[0]!.latencyMs = { p50: 3, p95, p99: p95 * 2 };
    await writeFile(join(stick, `${i}.json`), report(w.host, 'status', body));
  }
  await importReports(w.reg, w.as.olga, stick);
  w.reg.close();
}, 90_000);

describe('airlock report compliance', () => {
  it('writes the report and its signature by the issuer, every section drawn from the registry, the same bytes when asked again', async () => {
    const out = join(dir, 'prod.html');
    const issued = await as<{ path: string; signature: string; digest: string; sections: string[]; asOf: { seq: number } }>('aud', ['report', 'compliance', '--env', 'prod', '--out', out]);
    const html = await readFile(out, 'utf8');
    for (const id of ['overview', 'versions', 'deployments', 'incidents', 'reviews', 'charts', 'audit', 'trust']) expect(html).toContain(`<section id="${id}">`);
    expect(issued.sections).toEqual(['overview', 'versions', 'deployments', 'incidents', 'reviews', 'charts', 'audit', 'trust']);

    // The signature: the auditor's key, over this file's digest.
    const people = await as<{ name: string; keyId: string }[]>('aud', ['user', 'list']);
    const key = (n: string) => people.find((p) => p.name === n)!.keyId;
    const envelope = JSON.parse(await readFile(issued.signature, 'utf8')) as Envelope;
    expect(envelope.signatures.map((s) => s.keyid)).toEqual([key('aud')]);
    const statement = JSON.parse(utf8Decode(fromBase64(envelope.payload))) as { digest: string; environment: string; issuedBy: string; asOf: { seq: number } };
    expect(statement).toMatchObject({ digest: issued.digest, environment: 'prod', issuedBy: 'aud' });
    const { createHash } = await import('node:crypto');
    expect(`sha256:${createHash('sha256').update(await readFile(out)).digest('hex')}`).toBe(issued.digest);

    // Drawn from the registry: facts read independently through the CLI.
    const page = text(html);
    const { version } = await as<{ version: { digest: string } }>('aud', ['model', 'show', 'churn@1']);
    expect(page).toContain(version.digest);
    expect(page).toContain(`carol approve`);
    expect(page).toContain(key('carol'));
    const deployments = await as<{ bundleId: string }[]>('aud', ['deploy', 'list']);
    for (const d of deployments) expect(page).toContain(d.bundleId);
    const reviews = await as<{ kind: string; detail: string }[]>('aud', ['review', 'list', '--all']);
    expect(page).toContain(reviews.find((r) => r.kind === 'host_refused')!.detail);
    expect(page).toContain(reviews.find((r) => r.kind === 'drift')!.detail.slice(0, 60));
    expect(page).toMatch(/Intact: \d+ events checked/);
    const roots = await as<{ version: number }[]>('aud', ['root', 'list']);
    expect((html.match(/<caption>Root versions<\/caption>.*?<\/table>/s)![0].match(/<tr>/g) ?? []).length - 1).toBe(roots.length);
    expect(html).toMatch(/<svg role="img" aria-label="p95 latency per host"[^]*<polyline/);
    expect(html).toMatch(/<svg role="img" aria-label="Largest PSI per drift window"/);
    expect(html).not.toMatch(/<script/i);

    // Reproducible: issued again, the same bytes; and verify holds it to its signature.
    const again = await as<{ digest: string }>('aud', ['report', 'compliance', '--env', 'prod', '--out', join(dir, 'again.html')]);
    expect(again.digest).toBe(issued.digest);
    expect(await as<{ issuedBy: string }>('carol', ['report', 'verify', out])).toMatchObject({ issuedBy: 'aud', environment: 'prod', reproduced: true });
    // Signed by a registry user, but not what the registry renders: bob leaves out the incidents and signs.
    const edited = join(dir, 'edited.html');
    const cut = html.replace(/<section id="incidents">.*?<\/section>/s, '');
    await writeFile(edited, cut);
    const { createHash: hash } = await import('node:crypto');
    const signAs = async (file: string, change: Record<string, unknown>) => {
      const bytes = await readFile(file);
      const claim = { ...statement, file: file.split('/').at(-1), issuedBy: 'bob', digest: `sha256:${hash('sha256').update(bytes).digest('hex')}`, ...change };
      await writeFile(`${file}.sig.json`, JSON.stringify(signEnvelope(envelope.payloadType, Buffer.from(JSON.stringify(claim)), [w.as.bob.signer])));
    };
    await signAs(edited, {});
    expect(await codeOf(as('carol', ['report', 'verify', edited]))).toBe('INTEGRITY_FAILED');
    // ... or claims a point in the log this registry never reached.
    await signAs(edited, { asOf: { seq: 999_999, hash: 'f'.repeat(64) } });
    expect(await codeOf(as('carol', ['report', 'verify', edited]))).toBe('INTEGRITY_FAILED');
    // ... or is signed with the key of someone revoked before the point it names.
    await as('alice', ['user', 'revoke', 'bob', '--reason', 'left']);
    const [head] = await as<{ seq: number; hash: string }[]>('aud', ['audit', 'list', '--limit', '1']);
    await signAs(edited, { asOf: { seq: head!.seq, hash: head!.hash } });
    const afterRevocation = await airlock(['--home', w.reg.home.dir, '--user', 'carol', 'report', 'verify', edited]);
    expect(afterRevocation.stderr).toMatch(/^error INTEGRITY_FAILED: bob was revoked at .* before the registry stood where the report says it was drawn/);
    await writeFile(out, html.replace('Compliance report', 'Compliance rep0rt'));
    expect(await codeOf(as('carol', ['report', 'verify', out]))).toBe('INTEGRITY_FAILED');
    const forged = { ...envelope, payload: Buffer.from(JSON.stringify({ ...statement, issuedBy: 'alice' })).toString('base64') };
    await writeFile(`${join(dir, 'again.html')}.sig.json`, JSON.stringify(forged));
    expect(await codeOf(as('carol', ['report', 'verify', join(dir, 'again.html')]))).toBe('SIGNATURE_KEY_UNKNOWN');
    expect(() => verifyEnvelope(envelope, envelope.payloadType, { keys: new Map(), keyIds: [], threshold: 1 })).toThrow();
  }, 90_000);

  it('narrows to a period, prints a PDF through Chromium, and refuses what it cannot do', async () => {
    const later = await as<{ digest: string }>('aud', ['report', 'compliance', '--env', 'prod', '--since', '2999-01-01T00:00:00Z', '--out', join(dir, 'future.html')]);
    const page = text(await readFile(join(dir, 'future.html'), 'utf8'));
    expect(page).toContain('No deployments in this period.');
    expect(page).toContain('No incidents in this period.');
    expect(later.digest).toMatch(/^sha256:/);

    const pdf = join(dir, 'prod.pdf');
    const printed = await as<{ format: string; signature: string }>('aud', ['report', 'compliance', '--env', 'prod', '--out', pdf]);
    expect(printed.format).toBe('pdf');
    expect((await readFile(pdf)).subarray(0, 5).toString()).toBe('%PDF-');
    expect(await as<{ format: string }>('aud', ['report', 'verify', pdf])).toMatchObject({ format: 'pdf' });

    expect(await codeOf(as('aud', ['report', 'compliance', '--env', 'prod', '--out', join(dir, 'prod.txt')]))).toBe('USAGE');
    expect(await codeOf(as('aud', ['report', 'compliance', '--env', 'nowhere', '--out', join(dir, 'x.html')]))).toBe('NOT_FOUND');
    expect(await codeOf(as('aud', ['report', 'compliance', '--env', 'prod', '--out', pdf]))).toBe('ALREADY_EXISTS');
  }, 90_000);
});
