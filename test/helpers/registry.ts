import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mutate } from '../../apps/console/src/registry/audit.js';
import { unlock, type SigningActor } from '../../apps/console/src/registry/auth.js';
import type { Registry } from '../../apps/console/src/registry/context.js';
import { resolveHome } from '../../apps/console/src/registry/home.js';
import type { Role } from '../../apps/console/src/api/enums.js';
import { initRegistry } from '../../apps/console/src/registry/services/init.js';
import { addUser } from '../../apps/console/src/registry/services/users.js';

export const EXAMPLES = fileURLToPath(new URL('../../resources/examples/', import.meta.url));
export const CHURN = join(EXAMPLES, 'churn-classic');
export const TINY_LLM = join(EXAMPLES, 'tiny-llm');
export const PASSPHRASE = 'test-passphrase';

/** One user per role, plus a second approver: enough to exercise every rule. */
export const CAST = {
  alice: ['admin'],
  bob: ['ml-engineer'],
  carol: ['approver'],
  dave: ['approver'],
  olga: ['operator'],
  aud: ['auditor'],
} as const satisfies Record<string, readonly Role[]>;

export interface TestRegistry {
  reg: Registry;
  as: Record<keyof typeof CAST, SigningActor>;
}

/** A fresh registry in `dir` with the cast above, every key unlocked. */
export async function makeRegistry(dir: string, opts: { clock?: () => Date } = {}): Promise<TestRegistry> {
  const home = resolveHome(dir);
  const { reg } = await initRegistry(home, { admin: 'alice', passphrase: PASSPHRASE, extraRootKeys: 0, rootThreshold: 1, rootExpiresDays: 365 }, opts.clock);
  const alice = await unlock(reg, 'alice', PASSPHRASE);
  for (const [name, roles] of Object.entries(CAST)) {
    if (name !== 'alice') await addUser(reg, alice, { name, roles: [...roles], passphrase: PASSPHRASE });
  }
  const as = Object.fromEntries(await Promise.all(Object.keys(CAST).map(async (n) => [n, await unlock(reg, n, PASSPHRASE)] as const))) as TestRegistry['as'];
  return { reg, as };
}

/** A copy of the classic example whose content differs by `tag`, so that it imports as a new version. */
export async function churnVariant(dir: string, tag: string): Promise<string> {
  const { cp, writeFile } = await import('node:fs/promises');
  const out = join(dir, `churn-${tag}`);
  await cp(CHURN, out, { recursive: true });
  await writeFile(join(out, 'NOTES.md'), `variant ${tag}\n`);
  return out;
}

/**
 * Puts the registry into a state no service produces directly (a fixture), as an audited and sealed
 * change by the admin, so that everything after it is checked exactly as in real use.
 */
export function arrange(t: TestRegistry, what: string, fn: () => void): void {
  mutate(t.reg, t.as.alice, null, () => {
    fn();
    return { result: undefined, audit: { action: 'test.arrange', subject: 'test', details: { what } } };
  });
}
