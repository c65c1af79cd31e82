import { beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../../../../test/helpers/codes.js';
import { arrange, CHURN, makeRegistry, type TestRegistry } from '../../../../test/helpers/registry.js';
import { useSuiteTempDirs } from '../../../../test/helpers/tmp.js';
import { assertPromotionTransition, assertVersionTransition, PROMOTION_TRANSITIONS, VERSION_TRANSITIONS } from './lifecycle.js';
import { PROMOTION_STATES } from './repos/promotions.js';
import { VERSION_STATES, versionStatus, type VersionState } from './repos/version-status.js';
import { importModel } from './services/import.js';
import { transitionVersion } from './services/lifecycle.js';

const suiteDir = useSuiteTempDirs();
const pairs = <S extends string>(states: readonly S[]) => states.flatMap((from) => states.map((to) => [from, to] as [S, S]));

describe('version lifecycle', () => {
  it.each(pairs(VERSION_STATES))('%s → %s is allowed exactly when the table says so', (from, to) => {
    expect(codeOf(() => assertVersionTransition(from, to))).toBe(VERSION_TRANSITIONS[from].includes(to) ? 'ok' : 'ILLEGAL_TRANSITION');
  });

  describe('through the service, against a real registry', () => {
    let t: TestRegistry;
    let versionId: number;
    beforeAll(async () => {
      t = await makeRegistry(await suiteDir());
      versionId = (await importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn' })).version.id;
    });

    it.each(pairs(VERSION_STATES))('%s → %s', async (from, to) => {
      arrange(t, `${from} state`, () => versionStatus.set(t.reg.db, versionId, from, t.reg.now()));
      const result = await transitionVersion(t.reg, t.as.alice, 'churn@1', to as VersionState, 'test').then(
        () => 'ok',
        (err: { code?: string }) => err.code,
      );
      expect(result).toBe(VERSION_TRANSITIONS[from].includes(to) ? 'ok' : 'ILLEGAL_TRANSITION');
    });
  });
});

describe('promotion lifecycle', () => {
  it.each(pairs(PROMOTION_STATES))('%s → %s is allowed exactly when the table says so', (from, to) => {
    expect(codeOf(() => assertPromotionTransition(from, to))).toBe(PROMOTION_TRANSITIONS[from].includes(to) ? 'ok' : 'ILLEGAL_TRANSITION');
  });

  it('has final states with no way out, and every state reachable from requested', () => {
    const reachable = new Set<string>(['requested']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const s of [...reachable]) for (const n of PROMOTION_TRANSITIONS[s as keyof typeof PROMOTION_TRANSITIONS]) if (!reachable.has(n)) grew = reachable.add(n) !== null;
    }
    expect([...reachable].sort()).toEqual([...PROMOTION_STATES].sort());
    for (const final of ['gates_failed', 'rejected', 'withdrawn', 'expired', 'superseded', 'rolled_back'] as const) expect(PROMOTION_TRANSITIONS[final]).toEqual([]);
  });
});
