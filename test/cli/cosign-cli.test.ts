import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { roleKeys, ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, signEnvelope, verifyEnvelope, type Envelope, type Root } from '@airlock/shared/common';
import { currentRoot, readRoots } from '../../apps/console/src/registry/roots.js';
import { proposeRoot, publishRoot, signDraftFile } from '../../apps/console/src/registry/services/root-ceremony.js';
import { airlock } from '../helpers/cli.js';
import { codeOf } from '../helpers/codes.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { makeWorld, type World } from '../helpers/world.js';

/**
 * Co-signing, through the real CLI, once a root ceremony raised the approver threshold to 2: a rollback
 * authorisation needs a second approver's signature before hosts take it, and a deployment approved
 * by one approver is no longer exported.
 */
const suiteDir = useSuiteTempDirs();
let dir: string;
let w: World;
let newest: Root;
const as = (user: string, args: string[]) => airlock(['--home', w.reg.home.dir, '--user', user, '--json', ...args]);
const code = async (user: string, args: string[]) => (JSON.parse((await as(user, args)).stdout) as { error?: { code: string } }).error?.code ?? 'ok';
/** What a host checks of an authorisation's signatures: the approver role of its root, threshold and all. */
async function hostCheck(file: string) {
  const envelope = JSON.parse(await readFile(file, 'utf8')) as Envelope;
  return codeOf(() => verifyEnvelope(envelope, ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, roleKeys(newest, 'approver'), 'rollback authorisation'));
}

beforeAll(async () => {
  dir = await suiteDir();
  w = await makeWorld(join(dir, 'world'));
  const draft = join(dir, 'approvers.draft.json');
  await proposeRoot(w.reg, w.as.alice, { out: draft, add: [], remove: [], thresholds: { approver: 2 } });
  await signDraftFile(draft, w.as.alice.signer, (await currentRoot(w.reg.home)).root);
  await publishRoot(w.reg, w.as.alice, { draft });
  newest = (await readRoots(w.reg.home)).at(-1)!.root;
  expect(newest.roles.approver.threshold).toBe(2);
  w.reg.close();
}, 60_000);

describe('co-signing for an approver role that needs two', () => {
  it('a rollback authorisation takes a second approver before hosts accept it; the same approver twice, another role or an altered file cannot add one', async () => {
    const file = join(dir, 'auth.json');
    expect(await code('carol', ['authorise-rollback', 'churn@1', '--env', 'prod', '--reason', 'v1 back while v2 is fixed', '--out', file])).toBe('ok');
    expect(await hostCheck(file)).toBe('SIGNATURE_THRESHOLD_NOT_MET');

    expect(await code('carol', ['cosign-rollback', file])).toBe('APPROVAL_DUPLICATE');
    expect(await code('olga', ['cosign-rollback', file])).toBe('FORBIDDEN');
    const altered = join(dir, 'altered.json');
    const env = JSON.parse(await readFile(file, 'utf8')) as Envelope;
    const payload = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as { reason: string };
    payload.reason = 'something else';
    await writeFile(altered, JSON.stringify({ ...env, payload: Buffer.from(JSON.stringify(payload)).toString('base64') }));
    expect(await code('alice', ['cosign-rollback', altered])).toBe('SIGNATURE_INVALID');

    // Signed by carol's key out of band, for years: not one this registry issued, so not co-signed here.
    const outOfBand = join(dir, 'out-of-band.json');
    const years = { ...(JSON.parse(Buffer.from(env.payload, 'base64').toString()) as Record<string, unknown>), expiresAt: '2036-01-01T00:00:00.000Z' };
    await writeFile(outOfBand, JSON.stringify(signEnvelope(ROLLBACK_AUTHORISATION_PAYLOAD_TYPE, Buffer.from(JSON.stringify(years)), [w.as.carol.signer])));
    expect(await code('alice', ['cosign-rollback', outOfBand])).toBe('AUTHORISATION_INVALID');

    const cosigned = await as('alice', ['cosign-rollback', file]);
    expect(JSON.parse(cosigned.stdout)).toMatchObject({ ok: true, result: { signatures: 2, threshold: 2, model: 'churn', version: 1 } });
    const human = await airlock(['--home', w.reg.home.dir, '--user', 'carol', 'cosign-rollback', file]);
    expect(human.stderr).toMatch(/APPROVAL_DUPLICATE/);
    expect(await hostCheck(file)).toBe('ok');
    const audit = JSON.parse((await as('aud', ['audit', 'list', '--action', 'rollback.cosign'])).stdout) as { result: unknown[] };
    expect(audit.result).toMatchObject([{ actor: 'alice', subject: 'version:churn@1', details: { signatures: 2, threshold: 2 } }]);
  }, 60_000);

  it("does not export a deployment whose one approval is short of the raised threshold", async () => {
    expect(await code('olga', ['deploy', 'create', 'churn', '--env', 'prod'])).toBe('ok');
    const deployments = JSON.parse((await as('olga', ['deploy', 'list'])).stdout) as { result: { id: number }[] };
    const exported = await as('olga', ['bundle', 'export', String(deployments.result[0]!.id), '--out', dir]);
    expect(JSON.parse(exported.stdout)).toMatchObject({ ok: false, error: { code: 'APPROVALS_INSUFFICIENT', message: expect.stringContaining("the root's approver threshold 2") } });
  }, 60_000);
});
