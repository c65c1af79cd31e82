import { describe, expect, it } from 'vitest';
import { utf8Encode } from './bytes.js';
import { signEnvelope, signerFromSecretKey, type Envelope, type Signer } from './dsse.js';
import { generateKeyPair, type KeyPair } from './ed25519.js';
import type { ErrorCode } from './errors.js';
import { codeOf } from '../../../test/helpers/codes.js';
import { toTimestamp as iso } from './time.js';
import { buildRoot, openInitialRoot, ROOT_PAYLOAD_TYPE, signRoot, walkRootChain, type Root } from './root.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-26T00:00:00Z');

interface Generation {
  keys: KeyPair[];
  signers: Signer[];
  root: Root;
}

function generation(version: number, opts: { keys?: number; threshold?: number; expiresAt?: number } = {}): Generation {
  const keys = Array.from({ length: opts.keys ?? 2 }, generateKeyPair);
  const root = buildRoot({
    version,
    expiresAt: iso(opts.expiresAt ?? NOW + 365 * DAY),
    keys: keys.map((k) => ({ publicKey: k.publicKey, roles: ['root', 'release', 'approver'] as const })),
    thresholds: { root: opts.threshold ?? 2 },
  });
  return { keys, signers: keys.map((k) => signerFromSecretKey(k.secretKey)), root };
}

/** Version n+1 signed by the given signers (normally all of n's and all of its own). */
const sign = (next: Generation, signers: Signer[]) => signRoot(next.root, signers);


describe('root of trust', () => {
  const g1 = generation(1);
  const g2 = generation(2);
  const g3 = generation(3, { keys: 3, threshold: 2 });
  const v2 = sign(g2, [...g1.signers, ...g2.signers]);
  const v3 = sign(g3, [...g2.signers, ...g3.signers]);

  it('opens an initial root signed by a threshold of its own keys, and refuses one that is not', () => {
    expect(openInitialRoot(sign(g1, g1.signers)).version).toBe(1);
    expect(codeOf(() => openInitialRoot(sign(g1, [g1.signers[0]!])))).toBe('SIGNATURE_THRESHOLD_NOT_MET');
    expect(codeOf(() => openInitialRoot(sign(g1, g2.signers)))).toBe('SIGNATURE_KEY_UNKNOWN');
  });

  it('walks from version 1 to 3 through a full key rotation', () => {
    const chain = walkRootChain(g1.root, new Map([[2, v2], [3, v3]]), NOW);
    expect(chain.map((r) => r.version)).toEqual([2, 3]);
    expect(chain.at(-1)).toEqual(g3.root);
  });

  it('ignores candidates at or below the trusted version', () => {
    expect(walkRootChain(g2.root, new Map([[2, v2], [3, v3]]), NOW).map((r) => r.version)).toEqual([3]);
    expect(walkRootChain(g3.root, new Map([[2, v2]]), NOW)).toEqual([]);
  });

  const hostile: [string, () => [Root, Map<number, Envelope>, number], ErrorCode | 'ok'][] = [
    ['skipped version', () => [g1.root, new Map([[3, v3]]), NOW], 'ROOT_VERSION_SKIPPED'],
    ['new root signed only by the new keys', () => [g1.root, new Map([[2, sign(g2, g2.signers)]]), NOW], 'SIGNATURE_KEY_UNKNOWN'],
    ['new root signed only by the old keys', () => [g1.root, new Map([[2, sign(g2, g1.signers)]]), NOW], 'SIGNATURE_KEY_UNKNOWN'],
    ['old keys below threshold (1 of 2)', () => [g1.root, new Map([[2, sign(g2, [g1.signers[0]!, ...g2.signers])]]), NOW], 'SIGNATURE_THRESHOLD_NOT_MET'],
    ['new keys below threshold (1 of 2)', () => [g1.root, new Map([[2, sign(g2, [...g1.signers, g2.signers[0]!])]]), NOW], 'SIGNATURE_THRESHOLD_NOT_MET'],
    ['version 3 delivered to a holder of version 2 (the control for the cases around it)', () => [g2.root, new Map([[3, v3]]), NOW], 'ok'],
    ['unsigned by the old keys (mix-and-match)', () => [g1.root, new Map([[2, v3]]), NOW], 'SIGNATURE_KEY_UNKNOWN'],
    ['delivered as version 2, declares version 3', () => [g1.root, new Map([[2, sign(g3, [...g1.signers, ...g3.signers])]]), NOW], 'ROOT_INVALID'],
    ['newest root expired', () => [g1.root, new Map([[2, v2]]), NOW + 366 * DAY], 'ROOT_EXPIRED'],
    ['trusted root expired and nothing newer', () => [g1.root, new Map(), NOW + 366 * DAY], 'ROOT_EXPIRED'],
    ['future schema version', () => {
      const payload = utf8Encode(JSON.stringify({ ...g2.root, schema: 'airlock.root/v2' }));
      return [g1.root, new Map([[2, signEnvelope(ROOT_PAYLOAD_TYPE, payload, [...g1.signers, ...g2.signers])]]), NOW];
    }, 'ROOT_SCHEMA_UNSUPPORTED'],
    ['garbage payload signed by the old keys', () => [g1.root, new Map([[2, signEnvelope(ROOT_PAYLOAD_TYPE, utf8Encode('{"x":1}'), g1.signers)]]), NOW], 'ROOT_INVALID'],
    ['wrong payload type', () => [g1.root, new Map([[2, signEnvelope('text/plain', utf8Encode(JSON.stringify(g2.root)), [...g1.signers, ...g2.signers])]]), NOW], 'ROOT_INVALID'],
  ];
  it.each(hostile)('%s → %s', (_name, make, expected) => {
    const [trusted, candidates, now] = make();
    expect(codeOf(() => walkRootChain(trusted, candidates, now))).toBe(expected);
  });

  it('cannot be fooled by a clock set back: expiry uses the highest signed time seen', async () => {
    const { trustedNow } = await import('./time.js');
    const highWater = NOW + 400 * DAY;
    expect(codeOf(() => walkRootChain(g1.root, new Map([[2, v2]]), trustedNow(NOW, highWater)))).toBe('ROOT_EXPIRED');
  });

  const invalidRoots: [string, (r: Root) => unknown][] = [
    ['threshold above key count', (r) => ({ ...r, roles: { ...r.roles, root: { ...r.roles.root, threshold: 3 } } })],
    ['role names an unknown key', (r) => ({ ...r, roles: { ...r.roles, release: { keyids: ['f'.repeat(64)], threshold: 1 } } })],
    ['duplicate key ids in a role', (r) => ({ ...r, roles: { ...r.roles, root: { keyids: [r.roles.root.keyids[0], r.roles.root.keyids[0]], threshold: 1 } } })],
    ['key id that is not the hash of its key', (r) => ({ ...r, keys: { ['e'.repeat(64)]: Object.values(r.keys)[0], ...r.keys } })],
    ['version zero', (r) => ({ ...r, version: 0 })],
    ['expiry without zone', (r) => ({ ...r, expiresAt: '2030-01-01T00:00:00' })],
    ['unknown field', (r) => ({ ...r, mirrors: [] })],
  ];
  it.each(invalidRoots)('refuses a root document with %s', (_name, mutate) => {
    const env = signEnvelope(ROOT_PAYLOAD_TYPE, utf8Encode(JSON.stringify(mutate(g1.root))), g1.signers);
    expect(codeOf(() => openInitialRoot(env))).toBe('ROOT_INVALID');
  });
});
