import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { APPROVAL_PAYLOAD_TYPE, BundleManifestSchema, canonicalJson, configDigest, signEnvelope, utf8Encode, type BundleManifest, type BundleManifestInput } from '@airlock/shared/common';
import { ContentStore, type BlobRef } from '@airlock/shared/node';
import { codeOfAsync } from '../../../test/helpers/codes.js';
import { useSuiteTempDirs } from '../../../test/helpers/tmp.js';
import { iso, makeTrust, manifestFor } from '../../../test/helpers/trust.js';
import { ConfigSchema } from '../config.js';
import { initialCounters } from '../state/counters.js';
import { hostPolicy } from './policy.js';

/**
 * The host's own rules in DESIGN §5 order: sequence, hosts, environment, slots, floors, approvals, blobs
 * the host must already hold, secrets. Each case breaks one rule and every rule after it, so the code
 * it is refused with shows which rule ran first. Written out here, independently of policy.ts.
 * Mutation to try: move the channel-sequence check below the targeting checks; the first case turns red.
 */
const suiteDir = useSuiteTempDirs();
const trust = makeTrust();
let store: ContentStore;
let held: BlobRef;
let missing: BlobRef;

const policy = () =>
  hostPolicy({
    cfg: ConfigSchema.parse({ stateDir: '/s', environment: 'prod', slots: { main: { listen: 9100 } }, requireApprovals: true }),
    hostId: 'host-1',
    counters: { ...initialCounters(1), channels: { prod: 5 }, floors: { main: 2 } },
    store,
    secret: (name) => (name === 'TOKEN' ? 'x' : undefined),
  });

/** Which approval the slot carries: the right one, or one that differs in exactly one bound field. */
type ApprovalEdit = Partial<{ environment: string; model: string; version: number; versionDigest: string; configDigest: string; decision: string; quorum: number }>;

interface Breaks {
  approval?: ApprovalEdit;
  replayed?: boolean;
  otherHost?: boolean;
  otherEnv?: boolean;
  otherSlot?: boolean;
  belowFloor?: boolean;
  unapproved?: boolean;
  blobMissing?: boolean;
  secretMissing?: boolean;
}

/** A manifest for host-1 in prod, slot main, approved, above the floor — with the given rules broken. */
function manifest(b: Breaks): BundleManifest {
  const base = manifestFor(b.blobMissing ? [held, missing] : [held]);
  const slot = base.slots.main!;
  const model = { ...slot.model, version: b.belowFloor ? 1 : 3 };
  const payload = { schema: 'airlock.approval/v1', promotion: 1, environment: 'prod', model: model.name, version: model.version, versionDigest: model.digest, configDigest: configDigest({}), evidenceDigest: `sha256:${'e'.repeat(64)}`, quorum: 1, decision: 'approve', approver: 'carol', at: iso(Date.now()), ...b.approval };
  const input: BundleManifestInput = {
    ...base,
    sequence: b.replayed ? 5 : 6,
    targets: { environment: b.otherEnv ? 'staging' : 'prod', hosts: b.otherHost ? ['host-9'] : ['host-1'] },
    slots: {
      [b.otherSlot ? 'other' : 'main']: {
        ...slot,
        model,
        secrets: b.secretMissing ? ['TOKEN', 'DB_PASSWORD'] : ['TOKEN'],
        approvals: b.unapproved ? [] : [signEnvelope(APPROVAL_PAYLOAD_TYPE, utf8Encode(canonicalJson(payload)), [trust.rootSigners[0]!])],
      },
    },
    blobs: (base.blobs ?? []).map((x) => ({ ...x, included: x.digest !== missing.digest })),
  };
  return BundleManifestSchema.parse(input);
}

beforeAll(async () => {
  store = await ContentStore.open(await suiteDir());
  held = await store.put(Readable.from([Buffer.from('held by the host')]));
  const other = await ContentStore.open(await suiteDir());
  missing = await other.put(Readable.from([Buffer.from('not on this host')]));
});

const ALL: Breaks = { replayed: true, otherHost: true, otherEnv: true, otherSlot: true, belowFloor: true, unapproved: true, blobMissing: true, secretMissing: true };
const without = (...keys: (keyof Breaks)[]): Breaks => Object.fromEntries(Object.entries(ALL).filter(([k]) => !keys.includes(k as keyof Breaks)));

const ORDER: [string, Breaks, string, RegExp][] = [
  ['everything broken: the sequence is checked first', ALL, 'BUNDLE_REPLAYED', /not newer than #5/],
  ['then the named hosts', without('replayed'), 'NOT_TARGETED', /names hosts host-9/],
  ['then the environment', without('replayed', 'otherHost'), 'NOT_TARGETED', /environment staging/],
  ['then the slots', without('replayed', 'otherHost', 'otherEnv'), 'NOT_TARGETED', /slot "other"/],
  ['then the floor', without('replayed', 'otherHost', 'otherEnv', 'otherSlot'), 'BELOW_FLOOR', /below slot main's security floor/],
  ['then the approvals', without('replayed', 'otherHost', 'otherEnv', 'otherSlot', 'belowFloor'), 'APPROVALS_INSUFFICIENT', /0 valid approval/],
  ['then blobs the host must hold', { blobMissing: true, secretMissing: true }, 'BUNDLE_BLOB_MISSING', /leaves out blob/],
  ['then secrets', { secretMissing: true }, 'CONFIG_INVALID', /DB_PASSWORD/],
];

describe('host policy order', () => {
  it.each(ORDER)('%s', async (_name, breaks, code, message) => {
    const m = manifest(breaks);
    await expect(policy()(m, trust.root)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });

  const other = `sha256:${'f'.repeat(64)}`;
  it.each([
    ['another environment (the host\'s own counts, whatever the bundle targets)', { environment: 'staging' }],
    ['another model', { model: 'fraud' }],
    ['another version number (a relabelled version would pass a floor)', { version: 9 }],
    ['another digest', { versionDigest: other }],
    ['another config (an overlay changed after approval)', { configDigest: other }],
    ['a rejection', { decision: 'reject' }],
    ['an environment whose policy wants two approvals (one is not enough)', { quorum: 2 }],
  ] as [string, ApprovalEdit][])('an approval for %s does not count', async (_name, approval) => {
    expect(await codeOfAsync(() => policy()(manifest({ approval }), trust.root))).toBe('APPROVALS_INSUFFICIENT');
  });

  it('accepts the manifest with nothing broken', async () => {
    expect(await codeOfAsync(() => policy()(manifest({}), trust.root))).toBe('ok');
  });
});

describe('approvals add up only within one promotion, and never below the host minimum', () => {
  const two = makeTrust({ rootCount: 2 });
  const hostWith = (minApprovals?: number) =>
    hostPolicy({
      cfg: ConfigSchema.parse({ stateDir: '/s', environment: 'prod', slots: { main: { listen: 9100 } }, requireApprovals: true, ...(minApprovals ? { minApprovals } : {}) }),
      hostId: 'host-1',
      counters: { ...initialCounters(1), channels: { prod: 5 }, floors: { main: 2 } },
      store,
      secret: () => 'x',
    });
  /** A bundle for host-1 carrying one approval per entry: by root key `by`, of promotion `promotion`, naming `quorum`. */
  function carrying(approvals: { by: number; promotion: number; quorum: number }[]): BundleManifest {
    const m = manifest({});
    const slot = m.slots.main!;
    const signed = approvals.map((a) => {
      const payload = { schema: 'airlock.approval/v1', promotion: a.promotion, environment: 'prod', model: slot.model.name, version: slot.model.version, versionDigest: slot.model.digest, configDigest: configDigest(slot.config), evidenceDigest: `sha256:${String(a.promotion).repeat(64)}`, quorum: a.quorum, decision: 'approve', approver: `approver-${a.by}`, at: iso(Date.now()) };
      return signEnvelope(APPROVAL_PAYLOAD_TYPE, utf8Encode(canonicalJson(payload)), [two.rootSigners[a.by]!]);
    });
    return BundleManifestSchema.parse({ ...m, slots: { main: { ...slot, approvals: signed } } });
  }

  it('two approvers of the same promotion meet a quorum of two', async () => {
    expect(await codeOfAsync(() => hostWith()(carrying([{ by: 0, promotion: 7, quorum: 2 }, { by: 1, promotion: 7, quorum: 2 }]), two.root))).toBe('ok');
  });

  it('two approvers of two different promotions (each short of its quorum) do not', async () => {
    const err = await hostWith()(carrying([{ by: 0, promotion: 7, quorum: 2 }, { by: 1, promotion: 8, quorum: 2 }]), two.root).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'APPROVALS_INSUFFICIENT', message: expect.stringMatching(/1 valid approval\(s\) of .* from one promotion; this host requires 2/) });
  });

  it('a host minimum of two refuses one approval that names a quorum of one, and takes two', async () => {
    expect(await codeOfAsync(() => hostWith()(carrying([{ by: 0, promotion: 7, quorum: 1 }]), two.root))).toBe('ok');
    expect(await codeOfAsync(() => hostWith(2)(carrying([{ by: 0, promotion: 7, quorum: 1 }]), two.root))).toBe('APPROVALS_INSUFFICIENT');
    expect(await codeOfAsync(() => hostWith(2)(carrying([{ by: 0, promotion: 7, quorum: 1 }, { by: 1, promotion: 7, quorum: 1 }]), two.root))).toBe('ok');
  });

  it('minApprovals without requireApprovals is a configuration error', () => {
    expect(ConfigSchema.safeParse({ stateDir: '/s', minApprovals: 2 }).error?.issues[0]).toMatchObject({ path: ['minApprovals'], message: expect.stringContaining('set requireApprovals to true') });
  });
});
