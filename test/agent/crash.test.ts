import { createHash, randomBytes } from 'node:crypto';
import { cp, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, freePort, predict, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { CHURN } from '../helpers/registry.js';
import { useTempDirs } from '../helpers/tmp.js';
import { makeTrust, type TrustFixture } from '../helpers/trust.js';

const tempDir = useTempDirs();
let dir: string;
let trust: TrustFixture;
let store: ContentStore;
let ports: { admin: number; proxy: number };

beforeEach(async () => {
  dir = await tempDir();
  trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  store = await ContentStore.open(join(dir, 'store'));
  ports = { admin: await freePort(), proxy: await freePort() };
});

const BIG = 64 * 1024 * 1024;

/**
 * Waits until a blob is part-way into the agent's staging store: a temp part larger than `atLeast`
 * bytes and smaller than `whole`; returns its size then.
 */
async function partiallyStaged(staging: string, whole: number, atLeast: number): Promise<number> {
  const { readdir, stat } = await import('node:fs/promises');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    for (const area of await readdir(staging).catch(() => [] as string[])) {
      for (const part of await readdir(join(staging, area, 'tmp')).catch(() => [] as string[])) {
        const size = (await stat(join(staging, area, 'tmp', part)).catch(() => null))?.size ?? 0;
        if (size > atLeast && size < whole) return size;
      }
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return 0;
}

const start = (env: Record<string, string> = {}) => startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), ports, env });

async function bundle(name: string, version: number, sequence: number, srcDir = CHURN): Promise<string> {
  const path = join(dir, `${name}.airlock`);
  await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { dir: srcDir, version }) }, sequence }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
  return path;
}

/** The invariant: `current` is a complete release whose every file hashes to its manifest, and the slot serves. */
async function assertCompleteAndServing(agent: RunningAgent): Promise<string> {
  const id = (await readlink(join(agent.stateDir, 'slots/main/current'))).split('/').at(-1)!;
  const meta = JSON.parse(await readFile(join(agent.stateDir, 'slots/main/releases', `${id}.json`), 'utf8')) as { slot: { files: { path: string; digest: string }[] } };
  for (const f of meta.slot.files) {
    const bytes = await readFile(join(agent.stateDir, 'slots/main/current', f.path));
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`, f.path).toBe(f.digest);
  }
  await waitFor(async () => (await predict(agent.proxy, { tenure_months: 2, monthly_charges: 95, support_calls: 6, contract_annual: 0 }).catch(() => ({ status: 0 }))).status === 200, 20_000, 'the slot to serve');
  return id;
}

describe('crash safety', () => {
  it.each([
    ['verified', 'prod-1-churn-1'],
    ['staged', 'prod-1-churn-1'],
    ['switched', 'prod-1-churn-1'],
    ['probation', 'prod-1-churn-1'],
    ['committed', 'prod-2-churn-2'],
  ])('SIGKILL right after the journal says %s: a restart leaves %s complete and serving', async (step, expected) => {
    const first = await start();
    await first.call({ op: 'apply', path: await bundle('v1', 1, 1) });
    await first.stop();
    const doomed = await start({ AIRLOCK_AGENT_FAULT_AT_STEP: step });
    await expect(doomed.call({ op: 'apply', path: await bundle('v2', 2, 2) })).rejects.toThrow();
    expect(await doomed.exited).toBe(null);
    const again = await start();
    try {
      expect(await assertCompleteAndServing(again)).toBe(expected);
      // An interrupted install did not consume its sequence: the same bundle applies cleanly now.
      if (expected === 'prod-1-churn-1') expect(await again.call({ op: 'apply', path: join(dir, 'v2.airlock') })).toMatchObject({ outcome: 'applied' });
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('SIGKILL while a large release is half copied into staging never leaves a broken current', async () => {
    const big = join(dir, 'big');
    await cp(CHURN, big, { recursive: true });
    await writeFile(join(big, 'weights.bin'), randomBytes(BIG));
    const first = await start();
    await first.call({ op: 'apply', path: await bundle('v1', 1, 1) });
    await first.stop();
    for (let round = 0; round < 3; round++) {
      const path = await bundle(`big-${round}`, 2 + round, 2 + round, big);
      const victim = await start();
      const applying = victim.call({ op: 'apply', path }).catch(() => undefined);
      // The kill lands mid-copy, and the test proves it: a blob part in staging, more than empty, less than whole.
      const copied = await partiallyStaged(join(dir, 'state', 'staging'), BIG, 5_000 + round * 5_000);
      victim.proc.kill('SIGKILL');
      expect(copied, 'the kill landed while the 64 MiB blob was being copied').toBeGreaterThan(0);
      expect(copied).toBeLessThan(BIG);
      await victim.exited;
      await applying;
      const again = await start();
      try {
        await assertCompleteAndServing(again);
      } finally {
        await again.stop();
      }
    }
  }, 120_000);
});
