import { chmod, rm, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CHURN, makeRegistry } from '../../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { components } from '../repos/components.js';
import { importModel } from './import.js';
import { verifyRegistry } from './integrity.js';

const tempDir = useTempDirs();

describe('airlock verify', () => {
  it('passes on an intact registry and names every problem on a damaged one', async () => {
    const t = await makeRegistry(await tempDir());
    const { version } = await importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn' });
    expect((await verifyRegistry(t.reg, t.as.aud)).ok).toBe(true);

    const [first, second] = components.of(t.reg.db, version.id);
    const damaged = t.reg.store.pathOf(first!.digest);
    await chmod(damaged, 0o644);
    await writeFile(damaged, 'bit rot');
    await rm(t.reg.store.pathOf(second!.digest), { force: true });
    t.reg.db.raw.exec(`DROP TRIGGER audit_events_no_update; UPDATE audit_events SET actor = 'mallory' WHERE seq = 2`);

    const report = await verifyRegistry(t.reg, t.as.aud);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.code).sort()).toEqual(['AUDIT_CHAIN_BROKEN', 'BLOB_DIGEST_MISMATCH', 'BLOB_NOT_FOUND', 'BLOB_SIZE_MISMATCH'].sort());
    expect(report.problems.find((p) => p.code === 'BLOB_NOT_FOUND')?.message).toMatch(new RegExp(second!.path.replace('.', '\\.')));
  });
});
