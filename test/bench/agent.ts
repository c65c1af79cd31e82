/**
 * The agent's targets: rollback time from the decision to the old release serving again (warm), and
 * the slot proxy's cost per request against the same runtime called directly and through nginx, in the
 * same run (proxy.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, startAgent, waitFor, writeTestBundle } from '../helpers/agent.js';
import { makeTrust } from '../helpers/trust.js';
import { fmt, percentile } from './measure.js';
import { compareProxies, rssMiB, startNginx, startNodeFloor, startRuntime, type Path } from './proxy.js';

const threshold = async (port: number) => ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { threshold: number }).threshold;

export async function benchAgent(work: string, print: (line: string) => void): Promise<void> {
  const dir = join(work, 'agent');
  await mkdir(dir, { recursive: true });
  const trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  const store = await ContentStore.open(join(dir, 'store'));
  const agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), env: { AIRLOCK_LOG: 'quiet' } });
  try {
    for (const [v, t] of [[1, 0.5], [2, 0.7]] as const) {
      const path = join(dir, `v${v}.airlock`);
      await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { version: v, config: { threshold: t } }) }, sequence: v }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
      await agent.call({ op: 'apply', path });
    }

    const total: number[] = [];
    const inAgent: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = await threshold(agent.proxy);
      const t0 = process.hrtime.bigint();
      const r = await agent.call({ op: 'rollback', slot: 'main' });
      await waitFor(async () => (await threshold(agent.proxy)) !== before, 5000, 'the old release to serve');
      total.push(Number(process.hrtime.bigint() - t0) / 1e6);
      inAgent.push(r.ms);
      if (!r.warm) throw new Error('rollback was not warm');
    }
    print(`  rollback, decision → old release serving (warm, 20 runs)   p50 ${fmt(percentile(total, 50))} ms  max ${fmt(Math.max(...total))} ms  (switch inside the agent: p50 ${fmt(percentile(inAgent, 50), 3)} ms)  target < 100 ms`);

    // Two fresh agents serving the example alike, one with a drift profile of its four inputs (every
    // request tapped) and one without: the tap's cost is the difference between two otherwise equal proxies.
    const serving = async (name: string, drift: 'inputs' | false) => {
      const a = await startAgent({ stateDir: join(dir, `state-${name}`), rootFile: join(dir, 'root.json'), env: { AIRLOCK_LOG: 'quiet' } });
      const path = join(dir, `${name}.airlock`);
      await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { version: 1, drift }) }, sequence: 1 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
      await a.call({ op: 'apply', path });
      return a;
    };
    const tapped = await serving('tap-on', 'inputs');
    const plain = await serving('tap-off', false);
    print('  slot proxy cost per request (each path in front of its own identical runtime process)');
    const direct = await startRuntime();
    const behindNginx = await startRuntime();
    const nginx = await startNginx(dir, behindNginx.port);
    const behindFloor = await startRuntime();
    const floor = await startNodeFloor(behindFloor.port);
    try {
      const paths: Path[] = [
        { label: 'direct to the runtime', port: direct.port, pids: async () => [] },
        ...(nginx ? [{ label: 'nginx (1 worker)', port: nginx.port, pids: nginx.pids }] : []),
        { label: 'Node floor (bare proxy)', port: floor.port, pids: async () => [floor.proc.pid!] },
        { label: 'Airlock, drift tap on', port: tapped.proxy, pids: async () => [tapped.proc.pid!] },
        { label: 'Airlock slot proxy', port: plain.proxy, pids: async () => [plain.proc.pid!] },
      ];
      const cpu = await compareProxies(dir, paths, print, () => rssMiB(plain.proc.pid!));
      const on = cpu.get('Airlock, drift tap on');
      const off = cpu.get('Airlock slot proxy');
      if (on && off) print(`    drift tap, side by side: ${fmt(on - off, 1)} µs/request more with the tap on (4 input features, every request tapped; target ≤ 5 µs)`);
    } finally {
      nginx?.stop();
      floor.proc.kill('SIGTERM');
      behindFloor.proc.kill('SIGTERM');
      direct.proc.kill('SIGTERM');
      behindNginx.proc.kill('SIGTERM');
      await tapped.stop();
      await plain.stop();
    }
  } finally {
    await agent.stop();
  }
}
