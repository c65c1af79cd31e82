import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CountersStore, countersFile, initialCounters, type TrustChange } from './counters.js';
import { stateLayout } from './layout.js';

const dirs: string[] = [];
afterEach(async () => Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true }))));

async function store() {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-counters-'));
  dirs.push(dir);
  const layout = stateLayout(dir);
  const recorded: TrustChange[] = [];
  const s = new CountersStore(countersFile(layout), initialCounters(1), async (c) => (recorded.push(c), { seq: recorded.length }));
  const onDisk = async () => JSON.parse(await readFile(layout.counters, 'utf8')) as Record<string, unknown>;
  return { s, recorded, onDisk };
}

describe('trust counters', () => {
  it('floors, channel sequences, the signed-time mark and the root version only rise', async () => {
    const { s, onDisk } = await store();
    await s.raiseFloor('main', 3);
    await s.raiseFloor('main', 1);
    await s.bundleTaken('prod', 7);
    await s.bundleTaken('prod', 5);
    await s.bundleVerified(2000, { seq: 9, hash: 'a'.repeat(64) });
    await s.bundleVerified(1000, { seq: 4, hash: 'b'.repeat(64) });
    await s.rootAdopted(3);
    await s.rootAdopted(2);
    expect(await onDisk()).toMatchObject({ floors: { main: 3 }, channels: { prod: 7 }, highWaterMs: 2000, auditHead: { seq: 9 }, rootVersion: 3 });
  });

  it('spends an authorisation once and forgets it only after it expired', async () => {
    const { s } = await store();
    await s.spendAuthorisation('a1', 5000, 100, 1000);
    expect(() => s.spendAuthorisation('a1', 5000, 100, 2000)).toThrow(expect.objectContaining({ code: 'AUTHORISATION_USED' }));
    await s.spendAuthorisation('a2', 9000, 100, 6000);
    expect(s.value.usedAuthorisations).toEqual({ a2: 9000 });
  });

  it('records every trust change in the audit log before the file, with the log position; report sequences are not trust changes', async () => {
    const { s, recorded, onDisk } = await store();
    await s.raiseFloor('main', 2);
    expect(recorded).toEqual([expect.objectContaining({ floors: { main: 2 } })]);
    expect(await onDisk()).toMatchObject({ auditSeq: 1 });
    expect(await s.nextReportSeq()).toBe(1);
    expect(await s.nextReportSeq()).toBe(2);
    expect(recorded.length).toBe(1);
    expect(await onDisk()).toMatchObject({ reportSeq: 2, auditSeq: 1 });
  });
});
