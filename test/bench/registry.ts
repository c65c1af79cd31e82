/**
 * Registry queries at scale: 1,000 models × 100 versions and 1,000,000 audit events. Seeding writes
 * through the repositories in large transactions and signs audit events with Node's native Ed25519
 * (same format as the registry's own, which uses tweetnacl), so that seeding takes a minute, not an hour.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { join } from 'node:path';
import { canonicalJson, versionDigest, type VersionManifest } from '@airlock/shared/common';
import { openKey, parseKeyFile } from '@airlock/shared/node';
import { AUDIT_GENESIS, sealEvent } from '../../apps/console/src/registry/audit-event.js';
import { listAudit, mutate } from '../../apps/console/src/registry/audit.js';
import { actorFor, unlock } from '../../apps/console/src/registry/auth.js';
import { resolveHome } from '../../apps/console/src/registry/home.js';
import { auditEvents } from '../../apps/console/src/registry/repos/audit-events.js';
import { components } from '../../apps/console/src/registry/repos/components.js';
import { modelTags } from '../../apps/console/src/registry/repos/model-tags.js';
import { models } from '../../apps/console/src/registry/repos/models.js';
import { versionStatus } from '../../apps/console/src/registry/repos/version-status.js';
import { versions } from '../../apps/console/src/registry/repos/versions.js';
import { initRegistry } from '../../apps/console/src/registry/services/init.js';
import { listModels, showModel } from '../../apps/console/src/registry/services/models.js';
import { fmt, percentile } from './measure.js';

const MODELS = Number(process.env.AIRLOCK_BENCH_MODELS ?? 1000);
const VERSIONS_PER_MODEL = Number(process.env.AIRLOCK_BENCH_VERSIONS_PER_MODEL ?? 100);
const AUDIT_EVENTS = Number(process.env.AIRLOCK_BENCH_AUDIT_EVENTS ?? 1_000_000);
const SAMPLES = 300;
const TAGS = ['vision', 'nlp', 'tabular', 'speech', 'ranking', 'fraud', 'forecast', 'search', 'safety', 'ops'];
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** Seeds and measures; answers the seeded registry's folder, for the console benchmark to serve. */
export async function benchRegistry(work: string, print: (line: string) => void): Promise<{ home: string; models: number; versionsPerModel: number }> {
  const home = resolveHome(join(work, 'registry'));
  const { reg } = await initRegistry(home, { admin: 'bench', passphrase: 'bench', extraRootKeys: 0, rootThreshold: 1, rootExpiresDays: 1 });
  const actor = actorFor(reg, 'bench');
  const signing = await unlock(reg, 'bench', 'bench');
  const pair = await openKey(parseKeyFile(actor.user.key_file), 'bench');
  const nodeKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, Buffer.from(pair.secretKey.subarray(0, 32))]), format: 'der', type: 'pkcs8' });

  const t0 = Date.now();
  const hex = (n: number) => n.toString(16).padStart(64, '0');
  for (let m = 0; m < MODELS; m++) {
    // Each model is one audited change, sealed like an import, so that verify holds the seeded rows too.
    mutate(reg, signing, null, () => {
      const name = `model-${String(m).padStart(4, '0')}`;
      const modelId = models.insert(reg.db, { name, kind: m % 7 === 0 ? 'llm' : 'classic', description: `bench model ${m}`, created_at: reg.now(), created_by: actor.user.id });
      modelTags.add(reg.db, modelId, TAGS[m % TAGS.length]!);
      for (let v = 1; v <= VERSIONS_PER_MODEL; v++) {
        const comps = ['config.json', 'model.safetensors', 'tokenizer.json'].map((path, i) => ({ role: (['config', 'weights', 'tokenizer'] as const)[i]!, path, digest: `sha256:${hex(m * 1_000_000 + v * 10 + i)}` as const, size: 1000 * (i + 1) }));
        const manifest = { schema: 'airlock.version/v1', model: { name, kind: 'classic' }, components: comps, io: { inputs: {}, outputs: {} }, config: { schema: { type: 'object' }, defaults: { threshold: v / 1000 } }, dependencies: { datasets: [] }, lineage: { dataDigests: [] }, monitoring: { features: [] }, evaluation: { suites: {} } } as VersionManifest;
        const id = versions.insert(reg.db, { model_id: modelId, number: v, digest: versionDigest(manifest), manifest: canonicalJson(manifest), created_at: reg.now(), created_by: actor.user.id });
        versionStatus.insert(reg.db, id, 'registered', reg.now());
        for (const c of comps) components.insert(reg.db, id, c);
      }
      return { result: undefined, audit: { action: 'bench.seed', subject: `model:${name}`, details: { versions: VERSIONS_PER_MODEL } } };
    });
  }
  const t1 = Date.now();
  let prev = auditEvents.last(reg.db)!;
  for (let start = prev.seq + 1; start <= AUDIT_EVENTS; start += 20_000) {
    reg.db.transaction(() => {
      for (let seq = start; seq < Math.min(start + 20_000, AUDIT_EVENTS + 1); seq++) {
        const draft = { seq, at: reg.now(), actor: 'bench', action: 'model.annotate', subject: `model:model-${String(seq % MODELS).padStart(4, '0')}`, details: canonicalJson({ addTags: ['x'] }), prev_hash: prev.hash ?? AUDIT_GENESIS, rows: '[]' };
        prev = sealEvent(draft, actor.user.key_id, (msg) => sign(null, msg, nodeKey));
        auditEvents.insert(reg.db, prev);
      }
    });
  }
  print(`  seeded ${MODELS} models, ${MODELS * VERSIONS_PER_MODEL} versions in ${((t1 - t0) / 1000).toFixed(1)} s and ${AUDIT_EVENTS} audit events in ${((Date.now() - t1) / 1000).toFixed(1)} s`);

  const pick = (n: number) => Math.floor(Math.random() * n);
  const name = () => `model-${String(pick(MODELS)).padStart(4, '0')}`;
  const cases: [string, () => unknown][] = [
    ['list all models', () => listModels(reg, actor, { limit: MODELS })],
    ['search by name prefix', () => listModels(reg, actor, { prefix: `model-0${String(pick(100)).padStart(2, '0')}` })],
    ['search by tag', () => listModels(reg, actor, { tag: TAGS[pick(TAGS.length)]! })],
    ['show model (100 versions)', () => showModel(reg, actor, name())],
    ['show version', () => showModel(reg, actor, `${name()}@${1 + pick(VERSIONS_PER_MODEL)}`)],
    ['audit: 50 newest events', () => listAudit(reg, { limit: 50 })],
    ['audit: 50 newest of a model', () => listAudit(reg, { subject: `model:${name()}`, limit: 50 })],
  ];
  for (const [label, fn] of cases) {
    fn();
    const samples: number[] = [];
    let rows = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const t = process.hrtime.bigint();
      const r = fn();
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
      rows = Array.isArray(r) ? r.length : 1;
    }
    print(`  ${label.padEnd(28)} p50 ${fmt(percentile(samples, 50))} ms  p95 ${fmt(percentile(samples, 95))} ms  p99 ${fmt(percentile(samples, 99))} ms  (${rows} row(s), ${SAMPLES} samples)`);
  }
  reg.close();
  return { home: home.dir, models: MODELS, versionsPerModel: VERSIONS_PER_MODEL };
}
