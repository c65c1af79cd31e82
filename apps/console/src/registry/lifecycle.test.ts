import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../../../../test/helpers/codes.js';
import { arrange, CHURN, makeRegistry, type TestRegistry } from '../../../../test/helpers/registry.js';
import { useSuiteTempDirs } from '../../../../test/helpers/tmp.js';
import { assertPromotionTransition, assertVersionTransition } from './lifecycle.js';
import { PROMOTION_STATES, VERSION_STATES, type PromotionState, type VersionState } from '../api/enums.js';
import { versionStatus } from './repos/version-status.js';
import { importModel } from './services/import.js';
import { transitionVersion } from './services/lifecycle.js';

/**
 * The lifecycles of DESIGN §4.3, written out here as matrices (row: from, column: to, x: allowed),
 * independently of the tables in lifecycle.ts. Every one of the 36 + 100 pairs is checked.
 * Mutation to try: `revoked: ['validated']` in VERSION_TRANSITIONS, or `rejected: ['approved']` in
 * PROMOTION_TRANSITIONS; either turns these tests red.
 */
const VERSION_MATRIX = `
              registered validated deprecated retired quarantined revoked
registered        .          x         .         .         x         x
validated         .          .         x         .         x         x
deprecated        .          x         .         x         x         x
retired           .          .         .         .         .         x
quarantined       x          .         .         .         .         x
revoked           .          .         .         .         .         .
`;

const PROMOTION_MATRIX = `
                  requested gates_failed awaiting_approval approved active superseded rolled_back rejected withdrawn expired
requested             .          x              x             x       .        .           .         .         .        .
gates_failed          .          .              .             .       .        .           .         .         .        .
awaiting_approval     .          .              .             x       .        .           .         x         x        x
approved              .          .              .             .       x        .           .         .         x        x
active                .          .              .             .       .        x           x         .         .        .
superseded            .          .              .             .       .        .           .         .         .        .
rolled_back           .          .              .             .       .        .           .         .         .        .
rejected              .          .              .             .       .        .           .         .         .        .
withdrawn             .          .              .             .       .        .           .         .         .        .
expired               .          .              .             .       .        .           .         .         .        .
`;

/** Every (from, to, allowed) the matrix states. */
function pairsOf<S extends string>(matrix: string, states: readonly S[]): [S, S, boolean][] {
  const [header, ...rows] = matrix.trim().split('\n').map((l) => l.trim().split(/\s+/));
  expect([...header!].sort()).toEqual([...states].sort());
  expect(rows.map((r) => r[0]).sort()).toEqual([...states].sort());
  return rows.flatMap(([from, ...cells]) => cells.map((c, i) => [from as S, header![i] as S, c === 'x'] as [S, S, boolean]));
}

const VERSION_PAIRS = pairsOf(VERSION_MATRIX, VERSION_STATES);
const PROMOTION_PAIRS = pairsOf(PROMOTION_MATRIX, PROMOTION_STATES);
const suiteDir = useSuiteTempDirs();

describe('version lifecycle', () => {
  it('the matrix covers every pair', () => expect(VERSION_PAIRS).toHaveLength(VERSION_STATES.length ** 2));

  it.each(VERSION_PAIRS)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(codeOf(() => assertVersionTransition(from, to))).toBe(allowed ? 'ok' : 'ILLEGAL_TRANSITION');
  });

  describe('through the service, against a real registry', () => {
    let t: TestRegistry;
    let versionId: number;
    beforeAll(async () => {
      t = await makeRegistry(await suiteDir());
      versionId = (await importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn' })).version.id;
    });

    it.each(VERSION_PAIRS)('%s → %s allowed: %s', async (from, to, allowed) => {
      arrange(t, `${from} state`, () => versionStatus.set(t.reg.db, versionId, from, t.reg.now()));
      const result = await transitionVersion(t.reg, t.as.alice, 'churn@1', to as VersionState, 'test').then(
        () => 'ok',
        (err: { code?: string }) => err.code,
      );
      expect(result).toBe(allowed ? 'ok' : 'ILLEGAL_TRANSITION');
      expect(t.reg.db.get<{ state: string }>({ text: 'SELECT state FROM version_status WHERE version_id = ?', values: [versionId] })!.state).toBe(allowed ? to : from);
    });
  });
});

describe('promotion lifecycle', () => {
  it('the matrix covers every pair', () => expect(PROMOTION_PAIRS).toHaveLength(PROMOTION_STATES.length ** 2));

  it.each(PROMOTION_PAIRS)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(codeOf(() => assertPromotionTransition(from as PromotionState, to as PromotionState))).toBe(allowed ? 'ok' : 'ILLEGAL_TRANSITION');
  });
});
