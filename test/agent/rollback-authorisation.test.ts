import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildRoot,
  canonicalJson,
  generateKeyPair,
  ROLLBACK_AUTHORISATION_PAYLOAD_TYPE,
  ROLLBACK_AUTHORISATION_SCHEMA,
  signEnvelope,
  signerFromSecretKey,
  signRoot,
  utf8Encode,
  type Envelope,
  type RollbackAuthorisation,
  type Signer,
} from '@airlock/shared/common';
import { ContentStore } from '@airlock/shared/node';
import { agentCli, churnSlot, startAgent, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { iso, makeTrust } from '../helpers/trust.js';

const suiteDir = useSuiteTempDirs();
const trust = makeTrust();
const stranger = signerFromSecretKey(generateKeyPair().secretKey);
let dir: string;
let agent: RunningAgent;
let v1Digest: string;
let n = 0;

const V1 = 'prod-1-churn-1';
const V2 = 'prod-2-churn-2';

/** An authorisation for host-1 to take slot main back to churn@1, as approvers sign it; `change` spoils it. */
function authorisation(change: (a: RollbackAuthorisation) => void = () => undefined, signers: Signer[] = trust.rootSigners, payloadType = ROLLBACK_AUTHORISATION_PAYLOAD_TYPE): Envelope {
  const a: RollbackAuthorisation = {
    schema: ROLLBACK_AUTHORISATION_SCHEMA,
    id: (n++).toString(16).padStart(32, '0'),
    targets: { hosts: ['host-1'], environment: 'prod' },
    slot: 'main',
    model: 'churn',
    version: 1,
    versionDigest: v1Digest as RollbackAuthorisation['versionDigest'],
    reason: 'v2 mis-scores annual contracts; going back while it is fixed',
    issuedBy: 'carol',
    issuedAt: iso(Date.now() - 60_000),
    expiresAt: iso(Date.now() + 3_600_000),
  };
  change(a);
  return signEnvelope(payloadType, utf8Encode(canonicalJson(a)), signers);
}

const serving = async () => ((await agent.call({ op: 'status' })).slots[0]!.release);
const rollback = (env?: Envelope, to?: string) =>
  agent.call({ op: 'rollback', slot: 'main', ...(to ? { to } : {}), ...(env ? { authorisation: env } : {}) }).then(
    (r) => r,
    (err: { code: string }) => err.code,
  );

const cli = (args: string[]) => agentCli(['--state', agent.stateDir, ...args]);

beforeAll(async () => {
  dir = await suiteDir();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  const store = await ContentStore.open(join(dir, 'store'));
  agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json') });
  const v1 = await churnSlot(store, { version: 1 });
  v1Digest = v1.model.digest;
  // v2 raises the slot's security floor to 2: v1 stays kept and warm, but is now below the floor.
  for (const [sequence, slot] of [[1, v1], [2, await churnSlot(store, { version: 2, floor: 2 })]] as const) {
    const path = join(dir, `v${sequence}.airlock`);
    await writeTestBundle(path, store, { sequence, slots: { main: slot } }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
    expect(await agent.call({ op: 'apply', path })).toMatchObject({ outcome: 'applied' });
  }
}, 60_000);

afterAll(() => agent?.stop());

describe('rollback below a security floor', () => {
  it('is refused without an authorisation', async () => {
    expect((await agent.call({ op: 'status' })).slots[0]!.securityFloor).toBe(2);
    expect(await rollback()).toBe('BELOW_FLOOR');
    expect(await serving()).toBe(V2);
  });

  it.each<[string, () => Envelope, string]>([
    ['signed by a key outside the approver role', () => authorisation(undefined, trust.releaseSigners), 'SIGNATURE_KEY_UNKNOWN'],
    ['signed by a stranger', () => authorisation(undefined, [stranger]), 'SIGNATURE_KEY_UNKNOWN'],
    ['of another payload type', () => authorisation(undefined, trust.rootSigners, 'application/vnd.airlock.approval+json'), 'ENVELOPE_INVALID'],
    ['edited after signing', () => ({ ...authorisation(), payload: Buffer.from(canonicalJson({ ...JSON.parse(Buffer.from(authorisation().payload, 'base64').toString()), version: 2 })).toString('base64') }), 'SIGNATURE_INVALID'],
    ['expired', () => authorisation((a) => (a.expiresAt = iso(Date.now() - 1000))), 'AUTHORISATION_EXPIRED'],
    ['for another host', () => authorisation((a) => (a.targets.hosts = ['host-2'])), 'NOT_TARGETED'],
    ['for another environment', () => authorisation((a) => (a.targets = { hosts: [], environment: 'staging' })), 'NOT_TARGETED'],
    ['for another slot', () => authorisation((a) => (a.slot = 'other')), 'AUTHORISATION_INVALID'],
    ['for another version number', () => authorisation((a) => (a.version = 3)), 'AUTHORISATION_INVALID'],
    ['for another digest of the same version', () => authorisation((a) => (a.versionDigest = `sha256:${'0'.repeat(64)}`)), 'AUTHORISATION_INVALID'],
    ['for another model', () => authorisation((a) => (a.model = 'fraud')), 'AUTHORISATION_INVALID'],
    ['of a future schema', () => authorisation((a) => ((a as { schema: string }).schema = 'airlock.rollback-authorisation/v2')), 'AUTHORISATION_INVALID'],
    ['naming no target', () => authorisation((a) => (a.targets = { hosts: [] })), 'AUTHORISATION_INVALID'],
  ])('is refused with an authorisation %s, and nothing changes', async (_what, make, code) => {
    expect(await rollback(make())).toBe(code);
    expect(await serving()).toBe(V2);
  });

  it('is done with a valid authorisation, once: the id is remembered across restarts', async () => {
    const good = authorisation();
    const r = await rollback(good);
    expect(r).toMatchObject({ to: V1, belowFloor: true, authorisation: JSON.parse(Buffer.from(good.payload, 'base64').toString()).id });
    expect(await serving()).toBe(V1);
    // Forward again needs nothing; back again with the same authorisation is refused, also after a restart.
    expect(await rollback(undefined, V2)).toMatchObject({ to: V2, belowFloor: false });
    expect(await rollback(good)).toBe('AUTHORISATION_USED');
    await agent.stop();
    agent = await startAgent({ stateDir: agent.stateDir, rootFile: join(dir, 'root.json'), ports: { admin: agent.admin, proxy: agent.proxy } });
    expect(await rollback(good)).toBe('AUTHORISATION_USED');
    expect(await serving()).toBe(V2);
  }, 60_000);

  it('leaves a signed receipt and an audit entry naming who authorised it and why', async () => {
    const outbox = join(agent.stateDir, 'outbox');
    const envelopes = await Promise.all((await readdir(outbox)).filter((f) => f.endsWith('.json')).map(async (f) => JSON.parse(await readFile(join(outbox, f), 'utf8')) as Envelope));
    const reports = envelopes.map((e) => JSON.parse(Buffer.from(e.payload, 'base64').toString()) as { kind: string; body: { code?: string; message?: string } });
    const manual = reports.filter((r) => r.kind === 'receipt' && r.body.code === 'MANUAL_ROLLBACK').map((r) => r.body.message);
    expect(manual).toContainEqual(expect.stringMatching(new RegExp(`^rolled back from ${V2} to ${V1} below the floor, authorised by carol \\([0-9a-f]{32}\\): v2 mis-scores`)));
    expect(await readFile(join(agent.stateDir, 'audit.jsonl'), 'utf8')).toMatch(/"reason":"v2 mis-scores annual contracts/);
  });

  it('takes the authorisation from a file on the command line, with clear errors for a missing or broken file', async () => {
    const file = join(dir, 'authorisation.json');
    await writeFile(file, JSON.stringify(authorisation()));
    const ok = await cli(['--json', 'rollback', 'main', '--authorisation', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, result: { to: V1, belowFloor: true } });
    expect(await rollback(undefined, V2)).toMatchObject({ to: V2 });

    const missing = await cli(['rollback', 'main', '--authorisation', join(dir, 'nope.json')]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/^error NOT_FOUND: Cannot read the rollback authorisation/)]);
    for (const [name, text] of [['junk.json', 'not json'], ['unsigned.json', JSON.stringify(authorisation(undefined, []))]]) {
      await writeFile(join(dir, name!), text!);
      const broken = await cli(['rollback', 'main', '--authorisation', join(dir, name!)]);
      expect([broken.code, broken.stderr]).toEqual([1, expect.stringMatching(/^error ENVELOPE_INVALID/)]);
    }
    expect(await serving()).toBe(V2);
  }, 30_000);

  it('counts distinct approver keys once the root asks for two: one approver, or one key twice, is not enough', async () => {
    // Root v2 adds a second approver key and raises the approver threshold to 2; a bundle carries it.
    const second = generateKeyPair();
    const v2 = buildRoot({
      version: 2,
      expiresAt: trust.root.expiresAt,
      keys: [
        ...trust.rootKeys.map((k) => ({ publicKey: k.publicKey, roles: ['root', 'approver'] as const })),
        { publicKey: second.publicKey, roles: ['approver'] as const },
        ...trust.releaseKeys.map((k) => ({ publicKey: k.publicKey, roles: ['release'] as const })),
      ],
      thresholds: { approver: 2 },
    });
    const store = await ContentStore.open(join(dir, 'store'));
    const path = join(dir, 'v2-again.airlock');
    await writeTestBundle(path, store, { sequence: 3, slots: { main: await churnSlot(store, { version: 2, floor: 2 }) } }, trust.releaseSigners, new Map([[1, trust.rootEnvelope], [2, signRoot(v2, trust.rootSigners)]]));
    expect(await agent.call({ op: 'apply', path })).toMatchObject({ outcome: 'applied' });
    expect((await agent.call({ op: 'status' })).rootVersion).toBe(2);
    const now = await serving();

    const carol = trust.rootSigners[0]!;
    expect(await rollback(authorisation(undefined, [carol]), V1)).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect(await rollback(authorisation(undefined, [carol, carol]), V1)).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect(await serving()).toBe(now);
    expect(await rollback(authorisation(undefined, [carol, signerFromSecretKey(second.secretKey)]), V1)).toMatchObject({ to: V1, belowFloor: true });
    expect(await serving()).toBe(V1);
  }, 60_000);
});
