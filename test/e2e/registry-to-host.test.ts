import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predict, startAgent, type RunningAgent } from '../helpers/agent.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { makeWorld, type World } from '../helpers/world.js';
import { createDeployment, exportBundle } from '../../apps/console/src/registry/services/deployments.js';
import { setSecrets } from '../../apps/console/src/registry/services/environments.js';

/**
 * What the registry decides reaches the host exactly, and nothing more: the environment's overlay is
 * the config the runtime reads, a secret's value reaches the runtime's environment and no file, report,
 * log or bundle, and the figures a host reports come from the traffic it served.
 */
const suiteDir = useSuiteTempDirs();
const SECRET = 'hunter2-correct-horse-battery';
let dir: string;
let w: World;
let agent: RunningAgent;
let bundlePath: string;

/** Every file under `root`, recursively, with its bytes. */
async function files(root: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of await readdir(root, { recursive: true })) {
    const path = join(root, name);
    const st = await stat(path).catch(() => null);
    if (st?.isFile()) out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

beforeAll(async () => {
  dir = await suiteDir();
  w = await makeWorld(join(dir, 'world'));
  setSecrets(w.reg, w.as.olga, 'prod', ['DB_PASSWORD']);
  const d = createDeployment(w.reg, w.as.olga, { model: 'churn', env: 'prod' });
  bundlePath = (await exportBundle(w.reg, w.as.olga, d.id, join(dir, 'usb'), { delta: 'none', mkdir: true })).path;
  await writeFile(join(dir, 'secrets.json'), JSON.stringify({ DB_PASSWORD: SECRET }), { mode: 0o600 });
  agent = await startAgent({
    stateDir: join(dir, 'host'),
    rootFile: join(w.reg.home.roots, '1.root.json'),
    slot: 'churn',
    config: { requireApprovals: true, secretsFile: join(dir, 'secrets.json') },
  });
  expect(await agent.call({ op: 'apply', path: bundlePath })).toMatchObject({ outcome: 'applied' });
}, 90_000);
afterAll(async () => {
  await agent?.stop();
  w?.reg.close();
});

describe('from the registry to the host', () => {
  it("the environment's overlay is the config the runtime reads (MODEL_CONFIG)", async () => {
    const served = (await (await fetch(`http://127.0.0.1:${agent.proxy}/healthz`)).json()) as { threshold: number };
    expect(served.threshold).toBe(0.6);
    const releases = join(agent.stateDir, 'slots', 'churn', 'releases');
    const config = (await readdir(releases)).find((n) => n.endsWith('.config.json'))!;
    expect(JSON.parse(await readFile(join(releases, config), 'utf8'))).toEqual({ threshold: 0.6 });
  });

  it("a secret's value reaches the runtime's environment and nothing else: no file, report, log, bundle or registry row", async () => {
    await agent.call({ op: 'report' });
    const runtimes = (await readdir('/proc')).filter((p) => /^\d+$/.test(p));
    const environs = await Promise.all(runtimes.map((p) => readFile(`/proc/${p}/environ`).catch(() => Buffer.alloc(0))));
    expect(environs.some((e) => e.includes(`DB_PASSWORD=${SECRET}`) && e.includes(`MODEL_DIR=${agent.stateDir}`))).toBe(true);

    const leaks = [...(await files(agent.stateDir)), ...(await files(join(dir, 'usb'))), ...(await files(w.reg.home.dir))]
      .filter((f) => f.bytes.includes(SECRET))
      .map((f) => f.path);
    expect(leaks).toEqual([]);
    expect(agent.logs.join('')).not.toContain(SECRET);
  });

  it('the latency and outcome figures a host reports come from the traffic it served', async () => {
    for (let i = 0; i < 30; i++) expect((await predict(agent.proxy, { tenure_months: 5, monthly_charges: 70, support_calls: 2, contract_annual: 0 })).status).toBe(200);
    const names = await agent.call({ op: 'report' });
    const statusFile = names.find((n) => n.includes('status'))!;
    const envelope = JSON.parse(await readFile(join(agent.stateDir, 'outbox', statusFile), 'utf8')) as { payload: string };
    const report = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { body: { slots: { requests: Record<string, number>; latencyMs: Record<string, number | null> }[] } };
    const slot = report.body.slots[0]!;
    expect(slot.requests['2xx']).toBeGreaterThanOrEqual(30);
    expect(slot.latencyMs.p50).toBeGreaterThan(0);
    expect(slot.latencyMs.p99).toBeGreaterThanOrEqual(slot.latencyMs.p50!);
  });
});
