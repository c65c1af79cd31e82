import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOfAsync } from '../../../../../test/helpers/codes.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { useWorld } from '../../../../../test/helpers/world.js';
import { currentRoot } from '../roots.js';
import { listUsers, revokeUser } from './users.js';
import { proposeRoot, publishRoot, signDraftFile } from './root-ceremony.js';

/** `user revoke` drops a key from the root's roles, but never lowers a threshold on the way. */
const tempDir = useTempDirs();
const { fork } = useWorld();

describe('revoking someone', () => {
  it('refuses when dropping their key would lower a threshold, changing nothing; once the threshold is lowered by a ceremony, it goes through', async () => {
    const w = await fork();
    const raise = join(await tempDir(), 'raise.json');
    // The world's approver role holds alice, carol and dave; a ceremony asks for all three.
    await proposeRoot(w.reg, w.as.alice, { out: raise, add: [], remove: [], thresholds: { approver: 3 } });
    await signDraftFile(raise, w.as.alice.signer, (await currentRoot(w.reg.home)).root);
    const raised = (await publishRoot(w.reg, w.as.alice, { draft: raise })).version;

    expect(await codeOfAsync(() => revokeUser(w.reg, w.as.alice, { name: 'carol', reason: 'left' }))).toBe('INVALID_INPUT');
    expect((await currentRoot(w.reg.home)).root.version).toBe(raised);
    expect(listUsers(w.reg, w.as.aud).find((u) => u.name === 'carol')!.disabled).toBe(false);

    const lower = join(await tempDir(), 'lower.json');
    await proposeRoot(w.reg, w.as.alice, { out: lower, add: [], remove: [{ role: 'approver', user: 'carol' }], thresholds: { approver: 2 } });
    await signDraftFile(lower, w.as.alice.signer, (await currentRoot(w.reg.home)).root);
    await publishRoot(w.reg, w.as.alice, { draft: lower });
    expect(await revokeUser(w.reg, w.as.alice, { name: 'carol', reason: 'left' })).toMatchObject({ disabled: true, rootRoles: [], rootVersion: null });
  }, 60_000);
});
