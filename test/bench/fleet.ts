/**
 * The loop's targets: a delta bundle for a version that changes only the config of a 1 GiB model
 * (< 1 MiB), and exporting then importing the reports of 100 hosts (< 5 s), both through the real code:
 * the agent's outbox writes and exports the reports, the registry verifies and imports them.
 */
import { cp, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalJson, generateKeyPair, signerFromSecretKey } from '@airlock/shared/common';
import { Outbox } from '../../agent/src/reports/outbox.js';
import { stateLayout } from '../../agent/src/state/layout.js';
import { CountersStore, countersFile, initialCounters } from '../../agent/src/state/counters.js';
import { unlock } from '../../apps/console/src/registry/auth.js';
import { resolveHome } from '../../apps/console/src/registry/home.js';
import { components } from '../../apps/console/src/registry/repos/components.js';
import { createDeployment, exportBundle } from '../../apps/console/src/registry/services/deployments.js';
import { createEnvironment } from '../../apps/console/src/registry/services/environments.js';
import { assignHost, enrollHost } from '../../apps/console/src/registry/services/hosts.js';
import { importModel } from '../../apps/console/src/registry/services/import.js';
import { initRegistry } from '../../apps/console/src/registry/services/init.js';
import { transitionVersion } from '../../apps/console/src/registry/services/lifecycle.js';
import { requestPromotion } from '../../apps/console/src/registry/services/promotions.js';
import { importReports } from '../../apps/console/src/registry/services/reports.js';
import { enrollment, report, statusBody, type FakeHostKey } from '../helpers/hosts.js';
import { CHURN } from '../helpers/registry.js';
import { fmt, makeFile, MiB } from './measure.js';

const HOSTS = 100;

export async function benchFleet(work: string, print: (line: string) => void): Promise<void> {
  const home = resolveHome(join(work, 'fleet-registry'));
  const { reg } = await initRegistry(home, { admin: 'alice', passphrase: 'bench', extraRootKeys: 0, rootThreshold: 1, rootExpiresDays: 1 });
  const alice = await unlock(reg, 'alice', 'bench');
  createEnvironment(reg, alice, { name: 'prod', tier: 1, policy: { approvals: 0 } });

  const model = join(work, 'big-model');
  await cp(CHURN, model, { recursive: true });
  await makeFile(join(model, 'weights.bin'), 1024 * MiB);
  const hosts: FakeHostKey[] = Array.from({ length: HOSTS + 2 }, (_, i) => {
    const pair = generateKeyPair();
    return { hostId: `host-${String(i).padStart(3, '0')}`, signer: signerFromSecretKey(pair.secretKey), publicKey: pair.publicKey, seq: 0 };
  });
  for (const h of hosts.slice(0, 2)) {
    enrollHost(reg, alice, enrollment(h, h.signer, ['big']));
    assignHost(reg, alice, h.hostId, 'prod');
  }

  const ship = async (n: number) => {
    const { version } = await importModel(reg, alice, { path: model, model: 'big' });
    await transitionVersion(reg, alice, `big@${version.number}`, 'validated', 'bench');
    await requestPromotion(reg, alice, `big@${version.number}`, 'prod');
    const d = createDeployment(reg, alice, { model: 'big', env: 'prod' });
    return { version, d, bundle: await exportBundle(reg, alice, d.id, join(work, `out-${n}`), { delta: 'auto', mkdir: true }) };
  };
  const v1 = await ship(1);
  // The hosts report holding every blob of v1 (as their status reports say after applying it).
  const reportsDir = join(work, 'status-reports');
  await mkdir(reportsDir, { recursive: true });
  const digests = components.of(reg.db, v1.version.id).map((c) => c.digest);
  for (const h of hosts.slice(0, 2)) {
    await writeFile(join(reportsDir, `${h.hostId}.json`), report(h, 'status', statusBody({ slot: 'big', model: 'big', version: 1, digest: v1.version.digest, healthy: true }, digests)));
  }
  await importReports(reg, alice, reportsDir);
  const file = JSON.parse(await readFile(join(model, 'airlock-model.json'), 'utf8'));
  await writeFile(join(model, 'airlock-model.json'), canonicalJson({ ...file, config: { ...file.config, defaults: { threshold: 0.42 } } }));
  const v2 = await ship(2);
  print(`  full bundle of the 1 GiB model           ${fmt(v1.bundle.bytes / MiB)} MiB`);
  print(`  delta bundle, config-only change         ${fmt((await stat(v2.bundle.path)).size / 1024)} KiB (${v2.bundle.blobs - v2.bundle.omitted} of ${v2.bundle.blobs} blobs included)  target < 1 MiB`);

  // 100 more hosts: the agent's own outbox signs a receipt and a status report for each, and exports them.
  const fleetHosts = hosts.slice(2);
  for (const h of fleetHosts) enrollHost(reg, alice, enrollment(h));
  const stick = join(work, 'stick');
  const outboxes = [];
  const tw = process.hrtime.bigint();
  for (const h of fleetHosts) {
    const layout = stateLayout(join(work, 'hosts', h.hostId));
    await mkdir(layout.dir, { recursive: true });
    const outbox = new Outbox(layout, h.hostId, h.signer, new CountersStore(countersFile(layout), initialCounters(1), async () => ({ seq: 0 })));
    await outbox.write('receipt', { bundleId: v2.d.bundleId, channel: 'prod', sequence: v2.d.sequence, outcome: 'applied', slots: [], timings: { verify: 12 } });
    await outbox.write('status', statusBody({ slot: 'big', model: 'big', version: 2, digest: v2.version.digest, healthy: true }, digests));
    outboxes.push(outbox);
  }
  // Writing happens on each host as things occur; the round trip is the export to the stick and the import.
  const t0 = process.hrtime.bigint();
  for (const outbox of outboxes) await outbox.exportTo(stick);
  const t1 = process.hrtime.bigint();
  const summary = await importReports(reg, alice, stick);
  const t2 = process.hrtime.bigint();
  const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
  print(`  ${HOSTS} hosts: export ${fmt(ms(t0, t1), 0)} ms + import ${fmt(ms(t1, t2), 0)} ms = ${fmt(ms(t0, t2) / 1000)} s for ${summary.imported} reports (rejected ${summary.rejected.length})  target < 5 s`);
  print(`  (signing and writing those ${summary.imported} reports on the hosts, as they happen: ${fmt(ms(tw, t0), 0)} ms)`);
  reg.close();
}
