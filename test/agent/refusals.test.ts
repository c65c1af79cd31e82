import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_PAYLOAD_TYPE,
  canonicalJson,
  configDigest,
  generateKeyPair,
  signEnvelope,
  signerFromSecretKey,
  utf8Encode,
  type Envelope,
  type Signer,
} from '@airlock/shared/common';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, startAgent, writeTestBundle, type BundleSpec, type RunningAgent } from '../helpers/agent.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { iso, makeTrust, rotateReleaseKey } from '../helpers/trust.js';

const suiteDir = useSuiteTempDirs();
const trust = makeTrust();
/** The churn example's default config, which its slots run unless a test says otherwise. */
const CHURN_CONFIG = { threshold: 0.5 };
const stranger = signerFromSecretKey(generateKeyPair().secretKey);
let dir: string;
let store: ContentStore;
let agent: RunningAgent;
let n = 0;

type Receipt = { outcome: string; code?: string };

type Model = { name: string; version: number; digest: string };

/** An approval as the registry signs it, by an approver-role key of the root; any field can be made to differ. */
function approval(model: Model, signer: Signer = trust.rootSigners[0]!, environment = 'prod', config: Record<string, unknown> = CHURN_CONFIG): Envelope {
  const payload = { schema: 'airlock.approval/v1', promotion: 1, environment, model: model.name, version: model.version, versionDigest: model.digest, configDigest: configDigest(config), evidenceDigest: `sha256:${'e'.repeat(64)}`, quorum: 1, decision: 'approve', approver: 'carol', at: iso(Date.now()) };
  return signEnvelope(APPROVAL_PAYLOAD_TYPE, utf8Encode(canonicalJson(payload)), [signer]);
}

async function apply(spec: Partial<BundleSpec> & { slots: BundleSpec['slots'] }, signers = trust.releaseSigners, roots = new Map([[1, trust.rootEnvelope]]), tamper?: (b: Buffer) => void): Promise<Receipt> {
  const path = join(dir, `b${n++}.airlock`);
  await writeTestBundle(path, store, { sequence: 10, ...spec }, signers, roots);
  if (tamper) {
    const bytes = await readFile(path);
    tamper(bytes);
    await writeFile(path, bytes);
  }
  return agent.call({ op: 'apply', path });
}

const state = async () => {
  const { uptimeSeconds: _, ...status } = await agent.call({ op: 'status' });
  return { current: await readlink(join(agent.stateDir, 'slots/main/current')), status };
};

let slotV2: BundleSpec['slots'][string];

beforeAll(async () => {
  dir = await suiteDir();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  store = await ContentStore.open(join(dir, 'store'));
  agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), config: { requireApprovals: true } });
  const v2 = await churnSlot(store, { version: 2, floor: 2 });
  slotV2 = { ...v2, approvals: [approval(v2.model)] };
  expect(await apply({ slots: { main: slotV2 }, sequence: 5 })).toMatchObject({ outcome: 'applied' });
}, 60_000);
afterAll(() => agent.stop());

describe('agent refuses, and nothing changes', () => {
  const cases: [string, () => Promise<Receipt>, string][] = [
    ['a replayed bundle', () => apply({ slots: { main: slotV2 }, sequence: 5 }), 'BUNDLE_REPLAYED'],
    ['an older bundle', () => apply({ slots: { main: slotV2 }, sequence: 4 }), 'BUNDLE_REPLAYED'],
    ['an expired bundle', () => apply({ slots: { main: slotV2 }, issuedAt: iso(Date.now() - 20_000), expiresAt: iso(Date.now() - 10_000) }), 'BUNDLE_EXPIRED'],
    ['a bundle for other hosts', () => apply({ slots: { main: slotV2 }, hosts: ['host-9'] }), 'NOT_TARGETED'],
    ['a bundle for another environment', () => apply({ slots: { main: slotV2 }, environment: 'staging' }), 'NOT_TARGETED'],
    ['a bundle for a slot this host lacks', () => apply({ slots: { other: slotV2 } }), 'NOT_TARGETED'],
    ['a version below the security floor', async () => { const v1 = await churnSlot(store, { version: 1 }); return apply({ slots: { main: { ...v1, approvals: [approval(v1.model)] } } }); }, 'BELOW_FLOOR'],
    ['no approvals where approvals are required', () => apply({ slots: { main: { ...slotV2, approvals: [] } } }), 'APPROVALS_INSUFFICIENT'],
    ['an approval of another version', () => apply({ slots: { main: { ...slotV2, approvals: [approval({ ...slotV2.model, digest: `sha256:${'f'.repeat(64)}` })] } } }), 'APPROVALS_INSUFFICIENT'],
    ['an approval by a key outside the approver role', () => apply({ slots: { main: { ...slotV2, approvals: [approval(slotV2.model, stranger)] } } }), 'APPROVALS_INSUFFICIENT'],
    ['an approval for another environment', () => apply({ slots: { main: { ...slotV2, approvals: [approval(slotV2.model, trust.rootSigners[0], 'staging')] } } }), 'APPROVALS_INSUFFICIENT'],
    // Hole 5a: approvals are checked against the host's own environment, not the bundle's targets.
    ['a staging approval on a prod host, in a bundle that names the host instead of an environment', () => apply({ slots: { main: { ...slotV2, approvals: [approval(slotV2.model, trust.rootSigners[0], 'staging')] } }, environment: null, hosts: ['host-1'] }), 'APPROVALS_INSUFFICIENT'],
    // Hole 5b: the version number is bound to what the approvals sign, so a floor compares the approved version.
    ['churn@1 relabelled as version 99 to pass the floor of 2', async () => { const v1 = await churnSlot(store, { version: 1 }); return apply({ slots: { main: { ...v1, model: { ...v1.model, version: 99 }, approvals: [approval(v1.model)] } } }); }, 'APPROVALS_INSUFFICIENT'],
    ['an approval of the same version with another config (an overlay changed after approval)', () => apply({ slots: { main: { ...slotV2, approvals: [approval(slotV2.model, trust.rootSigners[0], 'prod', { threshold: 0.9 })] } } }), 'APPROVALS_INSUFFICIENT'],
    ['an approval naming another model', () => apply({ slots: { main: { ...slotV2, approvals: [approval({ ...slotV2.model, name: 'fraud' })] } } }), 'APPROVALS_INSUFFICIENT'],
    // Hole 5c: a bundle dated ahead of the clock is refused and does not move the signed-time high-water mark.
    ['a bundle dated two days ahead', () => apply({ slots: { main: slotV2 }, issuedAt: iso(Date.now() + 2 * 86_400_000), expiresAt: iso(Date.now() + 3 * 86_400_000) }), 'BUNDLE_FROM_FUTURE'],
    ['a bundle signed by an unknown key', () => apply({ slots: { main: slotV2 } }, [stranger]), 'SIGNATURE_KEY_UNKNOWN'],
    ['a tampered bundle', () => apply({ slots: { main: slotV2 } }, trust.releaseSigners, undefined, (b) => { b[b.length - 3000]! ^= 1; }), 'BLOB_DIGEST_MISMATCH'],
    ['a slot that needs a secret this host lacks', () => apply({ slots: { main: { ...slotV2, secrets: ['DB_PASSWORD'] } } }), 'CONFIG_INVALID'],
    ['a delta bundle leaving out a blob this host lacks', async () => {
      const { cp, writeFile: wf } = await import('node:fs/promises');
      const variant = join(dir, 'variant');
      await cp((await import('../helpers/registry.js')).CHURN, variant, { recursive: true });
      await wf(join(variant, 'extra.txt'), 'new file');
      const s = await churnSlot(store, { dir: variant, version: 3 });
      const extra = s.files.find((f) => f.path === 'extra.txt')!;
      return apply({ slots: { main: { ...s, approvals: [approval(s.model)] } }, omit: [extra.digest] });
    }, 'BUNDLE_BLOB_MISSING'],
  ];

  it.each(cases)('%s → %s', async (_name, make, code) => {
    const before = await state();
    const quarantined = (await readdir(join(agent.stateDir, 'quarantine')).catch(() => [])).length;
    expect(await make()).toMatchObject({ outcome: 'refused', code });
    expect(await state()).toEqual(before);
    expect((await readdir(join(agent.stateDir, 'quarantine'))).length).toBe(quarantined + 2);
  }, 30_000);

  it('keeps the newest registry audit head it saw in a bundle and reports it; an older head does not replace it', async () => {
    const v5 = await churnSlot(store, { version: 5 });
    const slot = { ...v5, approvals: [approval(v5.model)] };
    const head = { seq: 41, hash: 'a'.repeat(64) };
    expect(await apply({ slots: { main: slot }, sequence: 15, auditHead: head })).toMatchObject({ outcome: 'applied' });
    expect(await agent.call({ op: 'status' })).toMatchObject({ auditHead: head });
    expect(await apply({ slots: { main: slot }, sequence: 16, auditHead: { seq: 40, hash: 'b'.repeat(64) } })).toMatchObject({ outcome: 'applied' });
    expect(await agent.call({ op: 'status' })).toMatchObject({ auditHead: head });
  }, 30_000);

  it('follows a root rotation carried in a bundle, then refuses the retired release key', async () => {
    const { roots, releaseSigner } = rotateReleaseKey(trust);
    const v4 = await churnSlot(store, { version: 4 });
    const slot = { ...v4, approvals: [approval(v4.model)] };
    expect(await apply({ slots: { main: slot }, sequence: 20 }, [releaseSigner], roots)).toMatchObject({ outcome: 'applied' });
    expect((await agent.call({ op: 'status' })).rootVersion).toBe(2);
    expect(await apply({ slots: { main: slot }, sequence: 21 }, trust.releaseSigners, roots)).toMatchObject({ outcome: 'refused', code: 'SIGNATURE_KEY_UNKNOWN' });
  }, 30_000);
});
