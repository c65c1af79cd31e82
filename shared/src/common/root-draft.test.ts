import { describe, expect, it } from 'vitest';
import { codeOf } from '../../../test/helpers/codes.js';
import { fromBase64, toBase64, utf8Decode, utf8Encode } from './bytes.js';
import { signerFromSecretKey, type Signer } from './dsse.js';
import { generateKeyPair, keyIdOf } from './ed25519.js';
import { buildRoot, openInitialRoot, signRoot, walkRootChain, type Root } from './root.js';
import { finishRootDraft, proposeRootDraft, rootChanges, rootDraftProgress, signRootDraft, type RootDraft } from './root-draft.js';
import { toTimestamp as iso } from './time.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-30T00:00:00Z');

/** Five people's keys: a, b, c hold root v1 (2-of-3); v2 replaces c by f and adds d and e (3-of-5). */
const [a, b, c, d, e, f] = Array.from({ length: 6 }, generateKeyPair);
const signer = (k: typeof a): Signer => signerFromSecretKey(k!.secretKey);
const release = generateKeyPair();

function root(version: number, rootKeys: (typeof a)[], threshold: number, expiresAt = NOW + 365 * DAY): Root {
  return buildRoot({
    version,
    expiresAt: iso(expiresAt),
    keys: [...rootKeys.map((k) => ({ publicKey: k!.publicKey, roles: ['root'] as const })), { publicKey: release.publicKey, roles: ['release', 'approver'] as const }],
    thresholds: { root: threshold },
  });
}

const v1 = root(1, [a, b, c], 2);
const v1Envelope = signRoot(v1, [signer(a), signer(b)]);
const v2 = root(2, [a, b, d, e, f], 3);
const fresh = () => proposeRootDraft(v1Envelope, v2);
const signedBy = (draft: RootDraft, keys: (typeof a)[]) => keys.reduce((dr, k) => signRootDraft(dr, signer(k), v1), draft);
const id = (k: typeof a) => keyIdOf(k!.publicKey);

describe('root ceremony draft', () => {
  it('rotates a 2-of-3 root to 3-of-5 with one key replaced, refused at every step a signature is missing', () => {
    let draft = fresh();
    expect(codeOf(() => finishRootDraft(draft, NOW))).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    draft = signedBy(draft, [a]);
    // a alone: 1 of v1's 2, 1 of v2's 3
    expect(rootDraftProgress(draft)).toMatchObject({ previous: { signed: [id(a)], threshold: 2 }, proposed: { signed: [id(a)], threshold: 3 }, complete: false });
    expect(codeOf(() => finishRootDraft(draft, NOW))).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    draft = signedBy(draft, [b]);
    // v1's threshold is met; v2 has a and b, 2 of 3
    expect(rootDraftProgress(draft).complete).toBe(false);
    expect(codeOf(() => finishRootDraft(draft, NOW))).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    draft = signedBy(draft, [d]);
    expect(rootDraftProgress(draft)).toMatchObject({ previous: { signed: [id(a), id(b)] }, proposed: { signed: [id(a), id(b), id(d)] }, complete: true });
    const { root: published, envelope } = finishRootDraft(draft, NOW);
    expect(published).toEqual(v2);
    // what a host does with it: walk from v1
    expect(walkRootChain(v1, new Map([[2, envelope]]), NOW)).toEqual([v2]);
  });

  it("needs the old root's threshold even when every new key signs: the replaced key and one old key are not enough", () => {
    const draft = signedBy(fresh(), [c, d, e, f]);
    expect(rootDraftProgress(draft)).toMatchObject({ previous: { signed: [id(c)] }, proposed: { signed: [id(d), id(e), id(f)] }, complete: false });
    expect(codeOf(() => finishRootDraft(draft, NOW))).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect(codeOf(() => finishRootDraft(signedBy(draft, [a]), NOW))).toBe('ok');
  });

  it("refuses a lowered threshold signed only to the new root's own level", () => {
    const lowered = proposeRootDraft(v1Envelope, root(2, [a, b, c], 1));
    expect(rootChanges(v1, root(2, [a, b, c], 1))).toEqual([{ kind: 'threshold', role: 'root', from: 2, to: 1 }]);
    expect(codeOf(() => finishRootDraft(signedBy(lowered, [a]), NOW))).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect(codeOf(() => finishRootDraft(signedBy(lowered, [a, c]), NOW))).toBe('ok');
  });

  it('lists what changes for the signers', () => {
    expect(rootChanges(v1, v2)).toEqual([
      { kind: 'key-added', role: 'root', keyid: id(d) },
      { kind: 'key-added', role: 'root', keyid: id(e) },
      { kind: 'key-added', role: 'root', keyid: id(f) },
      { kind: 'key-removed', role: 'root', keyid: id(c) },
      { kind: 'threshold', role: 'root', from: 2, to: 3 },
    ]);
  });

  it('takes signatures only from root keys of either version, and one per key', () => {
    expect(codeOf(() => signRootDraft(fresh(), signer(release), v1))).toBe('SIGNATURE_KEY_UNKNOWN');
    expect(codeOf(() => signRootDraft(fresh(), signerFromSecretKey(generateKeyPair().secretKey), v1))).toBe('SIGNATURE_KEY_UNKNOWN');
    const twice = signedBy(fresh(), [a, a, a]);
    expect(twice.signatures).toHaveLength(1);
    expect(rootDraftProgress(twice).previous.signed).toEqual([id(a)]);
  });

  it('refuses a draft altered after it was signed, a forged signature, a skipped version and an expired proposal', () => {
    const signed = signedBy(fresh(), [a, b, d, e]);
    const tampered = JSON.parse(utf8Decode(fromBase64(signed.payload))) as Root;
    tampered.roles.root.threshold = 1;
    const altered = { ...signed, payload: toBase64(utf8Encode(JSON.stringify(tampered))) };
    expect(codeOf(() => rootDraftProgress(altered))).toBe('SIGNATURE_INVALID');
    expect(codeOf(() => finishRootDraft(altered, NOW))).toBe('SIGNATURE_INVALID');
    const forged = { ...signed, signatures: [...signed.signatures, { keyid: id(f), sig: signed.signatures[0]!.sig }] };
    expect(codeOf(() => rootDraftProgress(forged))).toBe('SIGNATURE_INVALID');
    expect(codeOf(() => proposeRootDraft(v1Envelope, root(3, [a, b, d, e, f], 3)))).toBe('ROOT_VERSION_SKIPPED');
    const skipped = { ...fresh(), payload: toBase64(utf8Encode(JSON.stringify(root(3, [a, b, d, e, f], 3)))) };
    expect(codeOf(() => signRootDraft(skipped, signer(a), v1))).toBe('ROOT_VERSION_SKIPPED');
    const expiring = proposeRootDraft(v1Envelope, root(2, [a, b, d, e, f], 3, NOW + DAY));
    expect(codeOf(() => finishRootDraft(signedBy(expiring, [a, b, d, e]), NOW + 2 * DAY))).toBe('ROOT_EXPIRED');
  });

  it("is signed only against the root the signer trusts: a forged `previous` cannot hide what the proposal changes", () => {
    // c alone holds a root key; it self-signs a fake v1 (root 1-of-1, with its own release key), then
    // proposes v2 = the fake v1 with a later expiry, so the changes shown against the fake look harmless.
    const evil = generateKeyPair();
    const fakeV1 = buildRoot({
      version: 1,
      expiresAt: v1.expiresAt,
      keys: [...[a, b, c].map((k) => ({ publicKey: k!.publicKey, roles: ['root'] as const })), { publicKey: release.publicKey, roles: ['release', 'approver'] as const }, { publicKey: evil.publicKey, roles: ['release', 'approver'] as const }],
      thresholds: { root: 1 },
    });
    const fakeV2 = { ...fakeV1, version: 2, expiresAt: iso(NOW + 400 * DAY) };
    const forged = proposeRootDraft(signRoot(fakeV1, [signer(c)]), fakeV2);
    expect(rootChanges(fakeV1, fakeV2)).toEqual([{ kind: 'expiry', from: v1.expiresAt, to: fakeV2.expiresAt }]);
    expect(codeOf(() => signRootDraft(forged, signer(a), v1))).toBe('CONFLICT');
    expect(rootDraftProgress(forged).previousDigest).not.toBe(rootDraftProgress(fresh()).previousDigest);
  });

  it('refuses a draft whose previous root is not self-signed', () => {
    const unsigned = { ...fresh(), previous: signRoot(v1, [signer(a)]) };
    expect(codeOf(() => signRootDraft(unsigned, signer(a), v1))).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect(openInitialRoot(v1Envelope)).toEqual(v1);
  });
});
