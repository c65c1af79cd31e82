import { describe, expect, it } from 'vitest';
import { probation, type Clock, type ProbationWatch } from './probation.js';

/** A clock that only moves when probation sleeps, so each test is exact and instant. */
function fakeClock(): Clock & { sleeps: number[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

/** A fake runtime and proxy: what probation watches, scripted per tick. */
function watch(overrides: Partial<ProbationWatch> & { ticks?: { requests: number; errors: number; up?: boolean; exited?: boolean }[] } = {}) {
  const clock = fakeClock();
  const ticks = overrides.ticks ?? [];
  const at = () => ticks[Math.min(clock.sleeps.length, ticks.length) - 1] ?? { requests: 0, errors: 0 };
  const w: ProbationWatch = {
    clock,
    durationMs: 1000,
    intervalMs: 100,
    minRequests: 20,
    errorBudget: 0.05,
    healthPath: '/healthz',
    stats: () => ({ requests: at().requests, errors: at().errors }),
    exited: () => at().exited === true,
    probe: async () => at().up !== false,
    ...overrides,
  };
  return { w, clock };
}

describe('probation', () => {
  it('passes a release that stays up within its error budget for the whole window, probing every interval', async () => {
    const { w, clock } = watch({ ticks: [{ requests: 100, errors: 5 }] });
    expect(await probation(w)).toBe(null);
    expect(clock.sleeps).toEqual(Array(10).fill(100));
  });

  it('fails at the first tick where the runtime has exited', async () => {
    const { w, clock } = watch({ ticks: [{ requests: 1, errors: 0 }, { requests: 1, errors: 0 }, { requests: 1, errors: 0, exited: true }] });
    expect(await probation(w)).toBe('the runtime exited during probation');
    expect(clock.sleeps.length).toBe(3);
  });

  it('judges the error budget only after enough requests', async () => {
    expect(await probation(watch({ ticks: [{ requests: 19, errors: 19 }] }).w)).toBe(null);
    expect(await probation(watch({ ticks: [{ requests: 20, errors: 2 }] }).w)).toBe('2 of 20 requests failed, over the 0.05 error budget');
    expect(await probation(watch({ ticks: [{ requests: 20, errors: 1 }] }).w)).toBe(null);
  });

  it('fails when the health path stops answering before the window ends', async () => {
    const { w } = watch({ ticks: [{ requests: 0, errors: 0 }, { requests: 0, errors: 0, up: false }] });
    expect(await probation(w)).toBe('/healthz stopped answering 200');
  });

  it('does not sleep past the end of the window', async () => {
    const { w, clock } = watch({ durationMs: 250, intervalMs: 100 });
    expect(await probation(w)).toBe(null);
    expect(clock.sleeps).toEqual([100, 100, 50]);
  });
});
