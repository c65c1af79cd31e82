import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { setPolicy } from '../../apps/console/src/registry/services/environments.js';
import { airlock } from '../helpers/cli.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { makeWorld, type World } from '../helpers/world.js';

/** `airlock review due` and the fleet's reminder, through the real CLI, on a world whose prod has a review policy. */
const suiteDir = useSuiteTempDirs();
let w: World;
const as = (user: string, args: string[]) => airlock(['--home', w.reg.home.dir, '--user', user, ...args]);

beforeAll(async () => {
  w = await makeWorld(join(await suiteDir(), 'world'));
  // The root (365 days) is inside a 400-day warning: overdue now. The active version comes round in 10 days.
  setPolicy(w.reg, w.as.alice, 'prod', { approvals: 1, requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8 }] }], reviews: { activeVersionDays: 10, rootExpiryWarnDays: 400 } });
  w.reg.close();
}, 60_000);

describe('airlock review due', () => {
  it('lists what is overdue and what comes due, opens the overdue item once, and the fleet says how many are overdue', async () => {
    const within = await as('aud', ['--json', 'review', 'due']);
    expect(within.code, within.stderr).toBe(0);
    const items = (JSON.parse(within.stdout) as { result: { kind: string; subject: string; overdue: boolean; reviewId: number | null }[] }).result;
    expect(items.map((i) => [i.kind, i.subject, i.overdue])).toEqual([
      ['root_expiry', expect.stringMatching(/^root:\d+$/), true],
      ['periodic_review', 'active:prod/churn@1', false],
    ]);
    // The call that listed them found the root overdue and opened its item.
    expect(items[0]!.reviewId).toEqual(expect.any(Number));
    const now = await as('aud', ['review', 'due', '--within', '0']);
    expect(now.stdout).toMatch(/overdue since .*root_expiry/);
    expect(now.stdout).not.toContain('periodic_review');
    const open = JSON.parse((await as('aud', ['--json', 'review', 'list'])).stdout) as { result: { kind: string }[] };
    expect(open.result.filter((r) => r.kind === 'root_expiry')).toHaveLength(1);
    const fleet = await as('aud', ['fleet']);
    expect(fleet.stdout).toContain('reviews  1 review overdue by the review calendar: `airlock review due`');
    expect((await as('aud', ['review', 'due', '--within', 'x'])).code).toBe(2);
  }, 60_000);
});
