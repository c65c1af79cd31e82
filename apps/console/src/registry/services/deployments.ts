import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AirlockError,
  ApprovalSchema,
  BundleManifestSchema,
  canonicalJson,
  fromBase64,
  parseEnvelope,
  signBundleManifest,
  utf8Decode,
  utf8Encode,
  type BundleManifest,
  type Envelope,
  type Root,
} from '@airlock/shared/common';
import { writeBundleFile, writeFileAtomic } from '@airlock/shared/node';
import { authorize, type Actor, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import { resolveConfig } from '../config-schema.js';
import type { Registry } from '../context.js';
import { storedPolicy } from '../policy.js';
import { activations, type ActivationRow } from '../repos/activations.js';
import { approvals } from '../repos/approvals.js';
import { channels } from '../repos/channels.js';
import { deploymentHosts, deployments, type DeploymentRow } from '../repos/deployments.js';
import { hosts, type HostRow } from '../repos/hosts.js';
import { environments, type EnvironmentRow } from '../repos/environments.js';
import { models } from '../repos/models.js';
import { overlays } from '../repos/overlays.js';
import { promotions } from '../repos/promotions.js';
import { versions } from '../repos/versions.js';
import { ActedOn } from '../integrity/acted-on.js';
import { readRoots } from '../roots.js';
import { headOf } from './audit-anchors.js';
import { assertRecordsHold } from './integrity.js';
import { deploymentManifest } from './deployment-manifest.js';
import { requireEnvironment } from './environments.js';
import { requireHost } from './hosts.js';
import { manifestOf } from './models.js';
import { refOf } from './refs.js';
import { storedJson } from '../db/stored.js';

/**
 * A deployment binds the environment's active version of a model, its resolved config and its
 * approvals to hosts, under the channel's next sequence. Its manifest is fixed here; export signs it.
 */
export function createDeployment(reg: Registry, actor: SigningActor, input: { model: string; env: string; hosts?: string[]; slot?: string; floor?: number }) {
  return mutate(reg, actor, 'deploy.create', () => {
    const env = requireEnvironment(reg, input.env);
    const model = models.byName(reg.db, input.model);
    if (!model) throw new AirlockError('NOT_FOUND', `There is no model "${input.model}".`);
    const active = activations.current(reg.db, env.id, model.id);
    if (!active) throw new AirlockError('NOT_FOUND', `No version of ${input.model} is active in ${input.env}: promote one first.`);
    const v = versions.byId(reg.db, active.version_id)!;
    const checked = new ActedOn(reg);
    checked.seals.assert('environments', [env.id]);
    checked.seals.assert('activations', [active.id]);
    checked.version(v);
    if (UNDEPLOYABLE.has(v.state)) throw new AirlockError('GATE_FAILED', `${refOf(v)} is ${v.state} and is not deployed; roll ${model.name} back in ${env.name} or promote another version.`);
    if (v.flag) throw new AirlockError('DEPENDENCY_BLOCKED', `${refOf(v)} is blocked: ${v.flag}. Roll back or promote another version.`);
    const manifest = manifestOf(v);
    if (!manifest.runtime || !manifest.health) throw new AirlockError('INVALID_INPUT', `${refOf(v)} declares no runtime and health spec in airlock-model.json, so hosts cannot run it.`);
    const slot = input.slot ?? model.name;
    const targets = input.hosts?.length ? input.hosts.map((h) => requireHost(reg, h)) : hosts.inEnv(reg.db, env.id);
    for (const t of targets) {
      checked.seals.assert('hosts', [t.id]);
      assertHostTakes(reg, t, env, slot);
    }
    const overlay = overlays.get(reg.db, env.id, model.id);
    if (overlay) checked.seals.assert('overlays', [env.id, model.id]);
    const config = resolveConfig(manifest.config.defaults, overlay ? storedJson<Record<string, unknown>>(overlay.config, `the ${env.name} overlay of ${model.name}`) : {});
    const backing = approvedPromotion(reg, env.id, model.id, active, checked);
    if (backing && canonicalJson(backing.config) !== canonicalJson(config)) {
      throw new AirlockError(
        'EVIDENCE_CHANGED',
        `The ${env.name} config of ${model.name} changed since ${refOf(v)} was approved there (approved ${canonicalJson(backing.config)}, now ${canonicalJson(config)}); request the promotion again so approvers see it.`,
      );
    }
    const approved = backing?.approvals ?? [];
    const floor = input.floor ?? 0;
    if (floor > v.number) throw new AirlockError('USAGE', `A security floor of ${floor} is above ${refOf(v)} itself, which hosts would then refuse; give --floor ${v.number} or lower.`);
    const now = reg.now();
    const sequence = channels.next(reg.db, env.name);
    const parsed = deploymentManifest({
      bundleId: randomUUID(),
      environment: env.name,
      sequence,
      issuedAt: now,
      hosts: input.hosts?.length ? targets.map((t) => t.host_id) : [],
      slot,
      version: { manifest, number: v.number },
      config,
      secrets: storedJson<string[]>(env.secrets, `the secrets of environment ${env.name}`),
      approvals: approved,
      securityFloor: floor,
    });
    const id = deployments.insert(reg.db, { env_id: env.id, version_id: v.id, slot, channel: env.name, sequence, bundle_id: parsed.bundleId, manifest: canonicalJson(parsed), created_at: now, created_by: actor.user.id });
    for (const t of targets) deploymentHosts.insert(reg.db, id, t.id, now);
    const quorum = storedPolicy(env).approvals;
    return {
      result: { id, bundleId: parsed.bundleId, version: refOf(v), environment: env.name, channel: env.name, sequence, slot, hosts: targets.map((t) => t.host_id), approvals: approved.length, quorum },
      audit: { action: 'deploy.create', subject: `deployment:${id}`, details: { version: refOf(v), digest: v.digest, environment: env.name, sequence, hosts: targets.map((t) => t.host_id) } },
    };
  });
}

/** Versions in these states are never shipped, whatever is recorded as active. */
const UNDEPLOYABLE = new Set(['quarantined', 'revoked', 'retired']);

/**
 * The promotion whose evidence and approvals back the active version: the one that made it active, or
 * after a break-glass rollback (which has neither) the one that made the same version active in this
 * environment before. A deployment carries its approvals, and must run exactly the config its
 * evidence holds, since approvals sign that config's digest.
 */
function approvedPromotion(reg: Registry, envId: number, modelId: number, active: ActivationRow, checked: ActedOn): { config: Record<string, unknown>; approvals: Envelope[] } | null {
  const own = promotions.byId(reg.db, active.promotion_id);
  if (!own || own.env_id !== envId || own.version_id !== active.version_id) {
    throw new AirlockError('INTEGRITY_FAILED', `The activation of ${refOf(versions.byId(reg.db, active.version_id)!)} in this environment does not rest on a promotion of that version there. Run \`airlock verify\`; nothing was changed.`);
  }
  let promotionId: number | undefined = own.id;
  if (own.break_glass) {
    const earlier = activations.history(reg.db, envId, modelId).filter((a) => a.id !== active.id && a.version_id === active.version_id);
    promotionId = earlier.map((a) => promotions.byId(reg.db, a.promotion_id)).find((p) => p && !p.break_glass && p.env_id === envId)?.id;
  }
  if (promotionId === undefined) return null;
  const p = promotions.byId(reg.db, promotionId)!;
  checked.promotion(p);
  const rows = approvals.of(reg.db, p.id).filter((a) => a.decision === 'approve');
  for (const a of rows) checked.approval(a);
  const evidence = storedJson<{ config: { resolved: Record<string, unknown> } }>(p.evidence, `the evidence of promotion #${p.id}`);
  // An approval signed before seals (kept by adoption) names no config, so no host counts it: it is not carried.
  const current = rows.map((a) => parseEnvelope(utf8Encode(a.envelope))).filter((e) => ApprovalSchema.safeParse(JSON.parse(utf8Decode(fromBase64(e.payload)))).success);
  return { config: evidence.config.resolved, approvals: current };
}

/** The slots a host runs: from its newest status report, else from its enrollment. */
function slotsOf(h: HostRow): string[] | null {
  const status = h.last_status ? storedJson<{ slots?: { slot: string }[] }>(h.last_status, `host ${h.host_id}'s last status`) : null;
  if (status?.slots) return status.slots.map((s) => s.slot);
  return storedJson<{ slots?: string[] }>(h.facts, `host ${h.host_id}'s facts`).slots ?? null;
}

/** A deployment goes only to hosts of its environment that run its slot: refused here, before anything travels. */
function assertHostTakes(reg: Registry, h: HostRow, env: EnvironmentRow, slot: string): void {
  if (h.env_id !== env.id) {
    const where = h.env_id === null ? 'no environment' : `environment ${environments.byId(reg.db, h.env_id)?.name ?? h.env_id}`;
    throw new AirlockError('NOT_TARGETED', `Host ${h.host_id} is in ${where}, not ${env.name}: assign it with \`airlock host assign ${h.host_id} --env ${env.name}\` or leave it out.`);
  }
  const slots = slotsOf(h);
  if (slots === null) throw new AirlockError('NOT_TARGETED', `Host ${h.host_id} has not said which slots it runs: enroll it again with a current agent or import one of its status reports.`);
  if (!slots.includes(slot)) throw new AirlockError('NOT_TARGETED', `Host ${h.host_id} runs slot(s) ${slots.join(', ') || '(none)'}, not "${slot}": deploy with --slot, or configure the slot on the host.`);
}

/** What a host last said it serves in a slot (e.g. after a manual rollback on the host), if it said. */
function servingOf(reg: Registry, hostId: string, slot: string): string | null {
  const status = hosts.byHostId(reg.db, hostId)?.last_status;
  const s = status ? storedJson<{ slots?: { slot: string; model: string | null; version: number | null }[] }>(status, `host ${hostId}'s last status`).slots?.find((x) => x.slot === slot) : undefined;
  return s?.model ? `${s.model}@${s.version}` : null;
}

function requireDeployment(reg: Registry, id: number): DeploymentRow {
  const d = deployments.byId(reg.db, id);
  if (!d) throw new AirlockError('NOT_FOUND', `There is no deployment #${id}.`);
  return d;
}

/** Blobs every targeted host reported holding in its last status: a delta bundle leaves them out. */
function heldByAllTargets(reg: Registry, d: DeploymentRow): Set<string> {
  const targets = deploymentHosts.of(reg.db, d.id);
  if (targets.length === 0) return new Set();
  const inventories = targets.map((t) => {
    const status = hosts.byHostId(reg.db, t.host_id)?.last_status;
    return new Set<string>(status ? (storedJson<{ blobs?: { digests?: string[] } }>(status, `host ${t.host_id}'s last status`).blobs?.digests ?? []) : []);
  });
  return new Set([...inventories[0]!].filter((digest) => inventories.every((inv) => inv.has(digest))));
}

export const bundleFileName = (d: DeploymentRow, m: BundleManifest) => {
  const s = m.slots[d.slot]!;
  return `${d.channel}-${String(d.sequence).padStart(6, '0')}-${s.model.name}-${s.model.version}.airlock`;
};

/**
 * Signs a deployment's manifest with the acting user's release key and writes the bundle, carrying
 * every root version so that any host can walk its trust forward. `delta: 'auto'` leaves out blobs
 * every targeted host already holds. The whole registry is verified first (its records, not its blob
 * store, which writing the bundle hashes anyway): a deployment resting on a forged promotion,
 * approval or policy is never signed, whatever checks its own rows pass.
 */
export async function exportBundle(reg: Registry, actor: SigningActor, id: number, outDir: string, opts: ExportOptions) {
  authorize(actor, 'bundle.export');
  await requireFolder(outDir, opts.mkdir ?? false);
  const roots = await releaseRoots(reg, actor);
  const [planned] = plan(reg, [id], opts.delta, 'so nothing was exported');
  assertApprovalsTrusted(planned!, roots.at(-1)!.root);
  return writeBundle(reg, actor, roots, planned!, outDir, opts);
}

/** Every root version, once the actor's key is shown to be a release key of the newest. */
async function releaseRoots(reg: Registry, actor: SigningActor) {
  const roots = await readRoots(reg.home);
  const newest = roots.at(-1)!.root;
  if (!newest.roles.release.keyids.includes(actor.signer.keyId)) {
    throw new AirlockError('FORBIDDEN', `${actor.user.name}'s key is not a release key of root version ${newest.version}; bundles must be signed by one.`);
  }
  return roots;
}

/**
 * What hosts will count: approvals whose key is in the newest root's approver role, against the larger
 * of the quorum they name and the root's approver threshold. A bundle short of that — its approvers'
 * keys dropped by a root ceremony, or the threshold raised since — would be refused by every host that
 * requires approvals, so it is not exported. (A deployment that carries none, after a break-glass
 * rollback with no earlier approvals, is for hosts that do not require them.)
 */
function assertApprovalsTrusted({ manifest }: Planned, root: Root): void {
  for (const [name, slot] of Object.entries(manifest.slots)) {
    const carried = slot.approvals;
    if (carried.length === 0) continue;
    const trusted = carried.filter((e) => e.signatures.some((s) => root.roles.approver.keyids.includes(s.keyid)));
    const quorum = Math.max(...carried.map((e) => ApprovalSchema.parse(JSON.parse(utf8Decode(fromBase64(e.payload)))).quorum));
    const needed = Math.max(quorum, root.roles.approver.threshold);
    if (trusted.length < needed) {
      const dropped = carried.length - trusted.length;
      throw new AirlockError(
        'APPROVALS_INSUFFICIENT',
        `${slot.model.name}@${slot.model.version} in slot ${name} carries ${trusted.length} approval(s) hosts will count${dropped > 0 ? ` (${dropped} signed by keys root version ${root.version} no longer trusts as approvers)` : ''}; they need ${needed} (the promotion's quorum ${quorum}, the root's approver threshold ${root.roles.approver.threshold}), so they would refuse the bundle. Promote a version for the current approvers to approve.`,
      );
    }
  }
}

/** Bytes written so far of all to write; aborting the signal stops the export and leaves no file. */
interface Streaming {
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

interface ExportOptions extends Streaming {
  delta: 'auto' | 'none';
  mkdir?: boolean;
}

interface Planned {
  d: DeploymentRow;
  manifest: BundleManifest;
}

/**
 * The manifests to sign, read in the same database snapshot as the verification that vouches for
 * them: a row changed after the check (by another program holding the file) is never what gets
 * signed, because nothing is read again once the snapshot closes.
 */
/**
 * What exporting a deployment's bundle would carry, before signing or writing anything: every blob,
 * and with a delta only those some target host does not hold yet (by the hosts' reports).
 */
export function previewExport(reg: Registry, _actor: Actor, id: number, delta: 'auto' | 'none') {
  const d = requireDeployment(reg, id);
  const manifest = storedJson(d.manifest, `the manifest of deployment #${d.id}`, BundleManifestSchema);
  const held = delta === 'auto' ? heldByAllTargets(reg, d) : new Set<string>();
  const carried = manifest.blobs.filter((b) => !held.has(b.digest));
  return { deployment: d.id, blobs: manifest.blobs.length, carried: carried.length, bytes: carried.reduce((n, b) => n + b.size, 0), bytesAll: manifest.blobs.reduce((n, b) => n + b.size, 0) };
}

function plan(reg: Registry, ids: number[], delta: 'auto' | 'none', refusal: string): Planned[] {
  return reg.db.transaction(() => {
    assertRecordsHold(reg, `${refusal}: bundles are signed only over a registry that verifies`);
    const head = headOf(reg);
    return ids.map((id) => {
      const d = requireDeployment(reg, id);
      const base = storedJson(d.manifest, `the manifest of deployment #${d.id}`, BundleManifestSchema);
      const held = delta === 'auto' ? heldByAllTargets(reg, d) : new Set<string>();
      return { d, manifest: { ...base, blobs: base.blobs.map((b) => ({ ...b, included: !held.has(b.digest) })), auditHead: head } };
    });
  });
}

/** Signs and writes one planned bundle; the caller has checked the release key. */
async function writeBundle(reg: Registry, actor: SigningActor, roots: Awaited<ReturnType<typeof releaseRoots>>, { d, manifest }: Planned, outDir: string, { onProgress, signal }: Streaming) {
  const newest = roots.at(-1)!.root;
  const { envelope } = signBundleManifest(manifest, [actor.signer]);
  const path = join(outDir, bundleFileName(d, manifest));
  await writeBundleFile(path, { manifest: envelope, roots: new Map(roots.map((r) => [r.root.version, r.envelope])), store: reg.store }, (p) => onProgress?.(p.bytesDone, p.bytesTotal), signal);
  const size = (await stat(path)).size;
  const omitted = manifest.blobs.filter((b) => !b.included).length;
  return mutate(reg, actor, 'bundle.export', () => ({
    result: { deployment: d.id, path, bytes: size, blobs: manifest.blobs.length, omitted, rootVersion: newest.version },
    audit: { action: 'bundle.export', subject: `deployment:${d.id}`, details: { bundleId: d.bundle_id, file: path, bytes: size, omitted } },
  }));
}

/**
 * A destination must already be a folder unless the caller asks for it to be made: an unmounted USB
 * stick's mount point would otherwise be created on the local disk and the bundle never travel.
 */
async function requireFolder(dir: string, create: boolean): Promise<void> {
  if (create) {
    await mkdir(dir, { recursive: true });
    return;
  }
  const st = await stat(dir).catch(() => null);
  if (!st) throw new AirlockError('IO_ERROR', `${dir} does not exist: is the stick mounted? Pass --mkdir to create the folder.`);
  if (!st.isDirectory()) throw new AirlockError('IO_ERROR', `${dir} is a file, not a folder.`);
}

/**
 * A static mirror: every deployment's bundle (full) plus index.json, for any web server or share that
 * agents poll over HTTP.
 */
export async function exportDepot(reg: Registry, actor: SigningActor, outDir: string, opts: Streaming & { mkdir?: boolean } = {}) {
  authorize(actor, 'bundle.export');
  await requireFolder(outDir, opts.mkdir ?? false);
  const roots = await releaseRoots(reg, actor);
  const planned = plan(reg, [...deployments.list(reg.db)].reverse().map((d) => d.id), 'none', 'so no mirror was written');
  await mkdir(join(outDir, 'bundles'), { recursive: true });
  const bundles: { path: string; size: number }[] = [];
  for (const p of planned) {
    const r = await writeBundle(reg, actor, roots, p, join(outDir, 'bundles'), opts);
    bundles.push({ path: `bundles/${r.path.split('/').at(-1)}`, size: r.bytes });
  }
  await writeFileAtomic(join(outDir, 'index.json'), `${JSON.stringify({ schema: 'airlock.depot/v1', generatedAt: reg.now(), bundles }, null, 2)}\n`);
  return { dir: outDir, bundles };
}

export function listDeployments(reg: Registry, _actor: Actor) {
  return deployments.list(reg.db).map((d) => ({
    id: d.id,
    version: `${d.model}@${d.number}`,
    environment: d.environment,
    sequence: d.sequence,
    bundleId: d.bundle_id,
    createdAt: d.created_at,
    hosts: deploymentHosts.of(reg.db, d.id).map((h) => ({ hostId: h.host_id, state: h.state, code: h.code, serving: servingOf(reg, h.host_id, d.slot) })),
  }));
}

