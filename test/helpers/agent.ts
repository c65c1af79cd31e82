import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildProfile,
  canonicalJson,
  ModelFileSchema,
  tapRecordOf,
  roleOf,
  VERSION_SCHEMA,
  VersionManifestSchema,
  slotOf,
  signBundleManifest,
  type BundleManifestInput,
  type Envelope,
  type Signer,
} from '@airlock/shared/common';
import type { ContentStore} from '@airlock/shared/node';
import { writeBundleFile } from '@airlock/shared/node';
import { freePort } from '../../agent/src/runtime/supervisor.js';
import { callAgent } from '../../agent/src/control/client.js';
import type { ControlOp, ControlRequestOf, ControlResultOf } from '../../agent/src/control/protocol.js';
import { CHURN } from './registry.js';
import { iso } from './trust.js';

export const AGENT = fileURLToPath(new URL('../../agent/dist/airlock-agent.js', import.meta.url));
export { freePort };

type SlotInput = BundleManifestInput['slots'][string];

/** A slot manifest for the classic example (or a copy of it), its files put into `store`. */
export async function churnSlot(store: ContentStore, opts: { dir?: string; version?: number; health?: Partial<SlotInput['health']>; runtime?: Partial<SlotInput['runtime']>; config?: Record<string, unknown>; floor?: number; drift?: boolean | 'inputs' } = {}): Promise<SlotInput> {
  const dir = opts.dir ?? CHURN;
  const model = ModelFileSchema.parse(JSON.parse(await readFile(join(dir, 'airlock-model.json'), 'utf8')));
  const { readdir } = await import('node:fs/promises');
  const names = (await readdir(dir)).filter((n) => n !== 'airlock-model.json').sort();
  const files = [];
  for (const name of names) {
    const ref = await store.putFile(join(dir, name));
    files.push({ path: name, digest: ref.digest, size: ref.size, role: roleOf(name, model.roles) });
  }
  let monitoring = model.monitoring;
  if (opts.drift) {
    // The profile as the registry builds it at import: the same code, from the example's reference
    // ('inputs': the request's features only, no answer kept).
    if (opts.drift === 'inputs') monitoring = { ...monitoring, features: monitoring.features.filter((f) => f.from !== 'response') };
    const lines = (await readFile(join(dir, model.monitoring.reference!), 'utf8')).trim().split('\n');
    const profile = buildProfile(monitoring, lines.map((l, i) => tapRecordOf(JSON.parse(l), model.monitoring.referenceShape ?? 'records', `line ${i + 1}`)));
    const ref = await store.put((async function* () {
      yield Buffer.from(canonicalJson(profile));
    })());
    files.push({ path: '.airlock/drift-profile.json', digest: ref.digest, size: ref.size, role: 'drift_profile' as const });
    monitoring = { ...monitoring, referenceProfile: ref.digest };
  }
  // Each version number is its own training run, so that versions of the same files differ in digest.
  const version = opts.version ?? 1;
  const manifest = VersionManifestSchema.parse({
    schema: VERSION_SCHEMA,
    model: { name: 'churn', kind: 'classic' },
    components: files,
    config: model.config,
    monitoring,
    lineage: { trainingRun: `run-${version}` },
    runtime: { ...model.runtime!, ...opts.runtime },
    health: { ...model.health!, startTimeoutMs: 10_000, intervalMs: 50, probationMs: 1500, ...opts.health },
  });
  return slotOf(manifest, version, { config: opts.config ?? model.config.defaults, securityFloor: opts.floor ?? 0 });
}

export interface BundleSpec {
  slots: Record<string, SlotInput>;
  sequence: number;
  channel?: string;
  /** the targeted environment (default prod); null targets hosts only */
  environment?: string | null;
  hosts?: string[];
  auditHead?: { seq: number; hash: string };
  issuedAt?: string;
  expiresAt?: string;
  omit?: string[];
}

/** Writes a signed bundle to `path` carrying the given roots. */
export async function writeTestBundle(path: string, store: ContentStore, spec: BundleSpec, signers: Signer[], roots: Map<number, Envelope>): Promise<void> {
  const blobs = new Map<string, { digest: `sha256:${string}`; size: number; included: boolean }>();
  for (const s of Object.values(spec.slots)) for (const f of s.files) blobs.set(f.digest, { digest: f.digest as `sha256:${string}`, size: f.size, included: !spec.omit?.includes(f.digest) });
  const now = Date.now();
  const { envelope } = signBundleManifest(
    {
      schema: 'airlock.bundle/v1',
      bundleId: `test-${spec.channel ?? 'prod'}-${spec.sequence}-${Math.random().toString(16).slice(2, 10)}`,
      channel: spec.channel ?? 'prod',
      sequence: spec.sequence,
      issuedAt: spec.issuedAt ?? iso(now - 1000),
      expiresAt: spec.expiresAt ?? iso(now + 86_400_000),
      targets: { ...(spec.environment === null ? {} : { environment: spec.environment ?? 'prod' }), hosts: spec.hosts ?? [] },
      slots: spec.slots,
      blobs: [...blobs.values()],
      ...(spec.auditHead ? { auditHead: spec.auditHead } : {}),
    },
    signers,
  );
  await writeBundleFile(path, { manifest: envelope, roots, store });
}

export interface RunningAgent {
  proc: ChildProcess;
  admin: number;
  proxy: number;
  stateDir: string;
  logs: string[];
  call<O extends ControlOp>(req: ControlRequestOf<O> & { op: O }): Promise<ControlResultOf<O>>;
  stop(): Promise<void>;
  exited: Promise<number | null>;
}

/** Initialises (once) and starts a real agent process with one slot (`main` unless named) watching `source`. */
export async function startAgent(opts: { stateDir: string; rootFile: string; source?: string; hostId?: string; slot?: string; env?: Record<string, string>; config?: Record<string, unknown>; ports?: { admin: number; proxy: number } }): Promise<RunningAgent> {
  const ports = opts.ports ?? { admin: await freePort(), proxy: await freePort() };
  const { existsSync } = await import('node:fs');
  if (!existsSync(join(opts.stateDir, 'host.key'))) {
    const init = spawn(process.execPath, [AGENT, '--state', opts.stateDir, 'init', '--root', opts.rootFile, '--host-id', opts.hostId ?? 'host-1'], { stdio: 'ignore' });
    const code = await new Promise((r) => init.on('exit', r));
    if (code !== 0) throw new Error(`agent init failed (${code})`);
  }
  const configFile = join(opts.stateDir, 'agent.json');
  await writeFile(
    configFile,
    JSON.stringify({
      stateDir: opts.stateDir,
      environment: 'prod',
      sources: { dirs: opts.source ? [opts.source] : [], pollIntervalMs: 200 },
      slots: { [opts.slot ?? 'main']: { listen: ports.proxy } },
      admin: { listen: ports.admin },
      probeIntervalMs: 100,
      ...opts.config,
    }),
  );
  const logs: string[] = [];
  const proc = spawn(process.execPath, [AGENT, '--config', configFile, 'run'], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${ports.admin}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`agent did not start: ${logs.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const socket = join(opts.stateDir, 'agent.sock');
  return {
    proc,
    admin: ports.admin,
    proxy: ports.proxy,
    stateDir: opts.stateDir,
    logs,
    exited,
    call: <O extends ControlOp>(req: ControlRequestOf<O> & { op: O }) => callAgent<O>(socket, req),
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs the bundled `airlock-agent` CLI as a real process (stopped with SIGTERM after `stopAfterMs`, if given). */
export function agentCli(args: string[], env: Record<string, string> = {}, stopAfterMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [AGENT, ...args], { env: { ...process.env, ...env } });
    // A command that runs until stopped (`run`) is stopped as systemd would, after `stopAfterMs`.
    if (stopAfterMs !== undefined) setTimeout(() => p.kill('SIGTERM'), stopAfterMs).unref();
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Polls until `fn` returns a truthy value or the timeout passes. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function predict(port: number, record: Record<string, number>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: JSON.stringify({ record }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A copy of the classic example with its serving script or model file changed, for failure drills. */
export async function churnVariantDir(base: string, name: string, change: { serveAppend?: string; goldenLabel?: number }): Promise<string> {
  const { cp, appendFile } = await import('node:fs/promises');
  const dir = join(base, name);
  await cp(CHURN, dir, { recursive: true });
  if (change.serveAppend) await appendFile(join(dir, 'serve.mjs'), `\n${change.serveAppend}\n`);
  if (change.goldenLabel !== undefined) {
    const file = JSON.parse(await readFile(join(dir, 'airlock-model.json'), 'utf8'));
    file.health.golden[0].expectJson.label = change.goldenLabel;
    await writeFile(join(dir, 'airlock-model.json'), JSON.stringify(file));
  }
  return dir;
}

/** Sends requests through the proxy from `workers` loops until stopped; counts what did not come back 200. */
export function loadLoop(port: number, workers = 4): { counts(): { ok: number; failed: number }; stop(): Promise<{ ok: number; failed: number; statuses: Record<string, number> }> } {
  let running = true;
  const result = { ok: 0, failed: 0, statuses: {} as Record<string, number> };
  const loops = Array.from({ length: workers }, async () => {
    while (running) {
      const status = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body: JSON.stringify({ record: { tenure_months: 10, monthly_charges: 50, support_calls: 1, contract_annual: 0 } }) }).then(
        async (r) => {
          await r.arrayBuffer();
          return String(r.status);
        },
        (e: Error) => `error:${e.message}`,
      );
      result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      if (status === '200') result.ok++;
      else result.failed++;
    }
  });
  return {
    counts: () => ({ ok: result.ok, failed: result.failed }),
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}
