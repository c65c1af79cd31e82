import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, predict, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { useTempDirs } from '../helpers/tmp.js';
import { makeTrust } from '../helpers/trust.js';

const tempDir = useTempDirs();
const agents: RunningAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

const HIGH_RISK = { tenure_months: 2, monthly_charges: 95, support_calls: 6, contract_annual: 0 };

describe('agent: verify, apply, serve', () => {
  it('applies a bundle dropped into its source folder and serves it through the slot proxy', async () => {
    const dir = await tempDir();
    const trust = makeTrust();
    await writeFileSync(join(dir, 'root.json'), trust.rootEnvelope);
    const store = await ContentStore.open(join(dir, 'registry-store'));
    const usb = join(dir, 'usb');
    await mkdir(usb);
    const agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), source: usb });
    agents.push(agent);

    const before = await fetch(`http://127.0.0.1:${agent.proxy}/predict`, { method: 'POST', body: '{}' });
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ error: 'unavailable', slot: 'main' });

    const bundle = join(dir, 'b1.airlock');
    await writeTestBundle(bundle, store, { slots: { main: await churnSlot(store) }, sequence: 1 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
    await copyFile(bundle, join(usb, 'b1.airlock'));
    await waitFor(async () => (await predict(agent.proxy, HIGH_RISK)).status === 200, 20_000, 'the slot to serve');
    expect((await predict(agent.proxy, HIGH_RISK)).body).toMatchObject({ label: 1 });
    const status = await agent.call<{ slots: { release: string; healthy: boolean }[] }>({ op: 'status' });
    expect(status.slots[0]).toMatchObject({ release: 'prod-1-churn-1', healthy: true });
    const current = await readFile(join(agent.stateDir, 'slots/main/current/model.json'), 'utf8');
    expect(JSON.parse(current).type).toBe('logistic_regression');
    await waitFor(async () => (await readdir(join(agent.stateDir, 'outbox')).catch(() => [])).some((n) => n.endsWith('-receipt.json')), 10_000, 'a receipt');
  }, 60_000);
});

async function writeFileSync(path: string, value: unknown) {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, JSON.stringify(value));
}
