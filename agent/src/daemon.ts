import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { AirlockError, toErrorData, toTimestamp, type Envelope, type HostStatus, type Receipt, type Root, type RollbackAuthorisation } from '@airlock/shared/common';
import { ContentStore, verifyBundleFile, type VerifyBundleOptions } from '@airlock/shared/node';
import { checkRollbackAuthorisation } from './apply/authorisation.js';
import type { JournalStep } from './apply/journal.js';
import { hostPolicy } from './apply/policy.js';
import { quarantine, trimQuarantine } from './apply/quarantine.js';
import { releaseId, type ReleaseMeta } from './apply/release.js';
import { Slot } from './apply/slot.js';
import type { AgentConfig } from './config.js';
import type { ControlHandlers } from './control/protocol.js';
import { serveControl } from './control/server.js';
import { DriftTap } from './drift/tap.js';
import { logger, type Logger } from './log.js';
import { AgentMetrics } from './metrics.js';
import { SlotProxy } from './proxy/slot-proxy.js';
import { Outbox } from './reports/outbox.js';
import { ProcessRecords } from './runtime/process-records.js';
import { loadSecrets } from './secrets.js';
import { Intake } from './sources/intake.js';
import { pollMirror } from './sources/mirror.js';
import { watchDirs } from './sources/watch.js';
import { HostAuditLog } from './state/audit-log.js';
import { CountersStore, countersBehind, countersFile, raisedTo } from './state/counters.js';
import { loadIdentity, type Identity } from './state/identity.js';
import { lockStateDir } from './state/lock.js';
import { stateLayout, type StateLayout } from './state/layout.js';
import { persistRoot, trustedRoot } from './state/roots.js';
import { gatherWitnesses } from './state/witnesses.js';
import { serveAdmin } from './admin.js';

export interface DaemonOptions {
  log?: Logger;
  /** fault injection for crash tests: at this journal step, SIGKILL this process or throw where no handler catches */
  crashAtStep?: JournalStep;
  faultKind?: 'kill' | 'throw';
  /** `airlock-agent stop`: the process's own shutdown, as on SIGTERM */
  onShutdown?: () => void;
}

/** How long stopping the runtimes a killed agent left behind may take before they are killed. */
const RECLAIM_GRACE_MS = 5000;

/**
 * The running agent: one proxy and one slot per configured slot, bundle sources, the loopback admin
 * endpoint, the control socket, and the reports it signs. Applies run one at a time.
 */
export class Daemon implements ControlHandlers {
  private readonly slots = new Map<string, Slot>();
  private readonly proxies = new Map<string, SlotProxy>();
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: FSWatcher | null = null;
  private stopMirrors: (() => void)[] = [];
  private admin: { close(): Promise<void> } | undefined;
  private control: { close(): Promise<void> } | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly intake: Intake;
  private readonly records: ProcessRecords;
  private auditReported = 0;
  private readonly started = Date.now();
  private readonly taps = new Map<string, DriftTap>();
  private readonly metrics = new AgentMetrics(() => [...this.slots].map(([name, s]) => [name, s.healthy]), () => this.taps.values());

  private constructor(
    readonly cfg: AgentConfig,
    readonly layout: StateLayout,
    readonly identity: Identity,
    private root: Root,
    private readonly counters: CountersStore,
    private readonly store: ContentStore,
    private readonly audit: HostAuditLog,
    private readonly outbox: Outbox,
    private readonly secret: (name: string) => string | undefined,
    private readonly log: Logger,
    private readonly opts: DaemonOptions,
    private readonly unlock: () => Promise<void>,
    /** conditions found at start that stay alerts while this process runs */
    private readonly startAlerts: HostStatus['alerts'],
  ) {
    this.intake = new Intake(layout.seen, (path, opts) => this.apply({ path }, opts), log, cfg.sources.settleMs);
    this.records = new ProcessRecords(layout.run, layout.slots);
  }

  /**
   * Trust state is read first and must be whole: missing or damaged counters or root stop the start
   * with STATE_DAMAGED naming the file (never a silent reset); a damaged audit log does not stop it.
   */
  static async start(cfg: AgentConfig, opts: DaemonOptions = {}): Promise<Daemon> {
    const layout = stateLayout(cfg.stateDir);
    // Two agents on one state directory would wipe each other's staging and fight over every file.
    const unlock = await lockStateDir(layout.dir);
    try {
      return await Daemon.startLocked(cfg, layout, unlock, opts);
    } catch (err) {
      await unlock();
      throw err;
    }
  }

  private static async startLocked(cfg: AgentConfig, layout: StateLayout, unlock: () => Promise<void>, opts: DaemonOptions): Promise<Daemon> {
    const identity = await loadIdentity(layout);
    const log = opts.log ?? logger('agent');
    const file = countersFile(layout);
    let value = await file.read();
    // Whatever else the state directory says about trust (every trust change the host signed into its
    // log, damaged or not; the releases it committed) is a floor for the counters file: a file below it
    // was restored from a backup, edited or cut off, and is raised, never believed lower.
    const witnesses = await gatherWitnesses(layout, identity.keyPair.publicKey);
    const audit = await HostAuditLog.open(layout.audit, identity.keyPair, Math.max(value.auditSeq, witnesses.highestSeq));
    if (audit.damage) log('error', 'the audit log is damaged; events continue in a new segment', { ...audit.damage, segment: audit.file });
    let raised = raisedTo(value, { ...value, channels: witnesses.releases.channels, floors: witnesses.releases.floors });
    for (const w of witnesses.logged) raised = raisedTo(raised, w);
    const behind = JSON.stringify(raised) === JSON.stringify(value) ? null : witnesses.logged.map((w) => countersBehind(value, w)).find(Boolean) ?? 'below the releases this host committed';
    const startAlerts: HostStatus['alerts'] = [];
    if (behind) {
      value = raised;
      await file.write(value);
      await audit.append('counters.raised', { behind });
      startAlerts.push({ code: 'STATE_DAMAGED', message: `The trust counters ${file.path} were behind what this host recorded (${behind}) and were raised to it at start: find out who restored or edited them.` });
      log('warn', 'the trust counters were behind what this host recorded and were raised', { file: file.path, behind });
    }
    // After the raise: a lowered root version in the file must not make an older root the trusted one.
    const root = await trustedRoot(layout, value.rootVersion);
    const counters = new CountersStore(file, value, (trust) => audit.append('counters', trust));
    const store = await ContentStore.open(layout.store);
    const outbox = new Outbox(layout, identity.hostId, identity.signer, counters);
    const secret = await loadSecrets(cfg.secretsFile);
    const d = new Daemon(cfg, layout, identity, root, counters, store, audit, outbox, secret, log, opts, unlock, startAlerts);
    try {
      await d.boot();
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  private async boot(): Promise<void> {
    const reclaimed = await this.records.reclaim(RECLAIM_GRACE_MS);
    if (reclaimed.length) this.log('warn', 'stopped runtimes a previous run left behind', { pids: reclaimed });
    // Staging belongs to the one verification in flight; after a stop or a kill none is.
    await rm(this.layout.staging, { recursive: true, force: true });
    await trimQuarantine(this.layout.quarantine, this.cfg.quarantineMaxBytes);
    await this.intake.load();
    for (const [name, sc] of Object.entries(this.cfg.slots)) {
      const tap = new DriftTap(name, sc.drift);
      this.taps.set(name, tap);
      const proxy = new SlotProxy(name, sc.listen, this.metrics.proxy.forSlot(name), { ...(sc.fallback ? { fallback: sc.fallback } : {}), requestTimeoutMs: sc.requestTimeoutMs, tap, tapMaxBytes: sc.drift.maxBodyBytes });
      await proxy.listen().catch((err: unknown) => {
        throw listenFailure(err, `Slot ${name}`, sc.listen, `slots.${name}.listen`);
      });
      this.proxies.set(name, proxy);
      const slot = new Slot(name, {
        cfg: this.cfg,
        layout: this.layout,
        store: this.store,
        proxy,
        records: this.records,
        log: this.log,
        secret: this.secret,
        audit: (action, detail) => this.audit.append(action, detail),
        floor: () => this.counters.value.floors[name] ?? 0,
        failedOver: () => this.metrics.rolledBack(name, 'RUNTIME_FAILED'),
        onStep: (step) => {
          if (this.opts.crashAtStep !== step) return;
          if (this.opts.faultKind !== 'throw') process.kill(process.pid, 'SIGKILL');
          setImmediate(() => {
            throw new Error(`injected fault at ${step}`);
          });
        },
      });
      this.slots.set(name, slot);
      await slot.recover();
    }
    // The control socket first: once /healthz answers, the CLI can reach the agent too.
    this.control = await serveControl(this.layout.socket, this);
    this.admin = await serveAdmin(this.cfg.admin.listen, {
      hostId: this.identity.hostId,
      readiness: () => ({ notReady: [...this.slots.values()].filter((s) => !s.healthy).map((s) => s.name), alerts: this.alerts() }),
      metrics: this.metrics,
    }).catch((err: unknown) => {
      throw listenFailure(err, 'The admin endpoint', this.cfg.admin.listen, 'admin.listen');
    });
    this.watcher = watchDirs(this.cfg.sources.dirs, this.cfg.sources.pollIntervalMs, (p) => void this.intake.offer(p), this.log);
    // A mirror download is complete by construction (exactly the declared size): it is applied at once, never held.
    const fromMirror = (path: string) => this.apply({ path }).then(
      () => undefined,
      (err: unknown) => this.log('error', 'apply failed', { path, error: String(err) }),
    );
    this.stopMirrors = this.cfg.sources.mirrors.map((url) => pollMirror(url, this.cfg.sources.mirrorIntervalMs, join(this.layout.dir, 'downloads'), fromMirror, this.log));
    this.statusTimer = setInterval(() => void this.report().catch((err) => this.log('warn', 'status report failed', { error: String(err) })), this.cfg.statusIntervalMs);
    this.statusTimer.unref();
    await this.audit.append('agent.start', { hostId: this.identity.hostId, slots: [...this.slots.keys()] });
    this.log('info', 'agent started', { hostId: this.identity.hostId, slots: [...this.slots.keys()], admin: this.cfg.admin.listen });
  }

  /** What an operator must look at although the host serves: shown by status, /readyz and reports. */
  private alerts(): HostStatus['alerts'] {
    const out: HostStatus['alerts'] = [...this.startAlerts];
    const d = this.audit.damage;
    if (d) {
      out.push({ code: 'AUDIT_DAMAGED', message: `The audit log ${d.file} is damaged${d.line ? ` at line ${d.line}` : ''} (${d.reason}); events continue in ${this.audit.file} after the last good event #${d.lastGood?.seq ?? 0}.` });
    }
    for (const s of this.slots.values()) if (s.alert) out.push({ ...s.alert, slot: s.name });
    return out;
  }

  /** Verifies and installs one bundle file; returns its receipt. Applies are serialized. */
  apply(req: { path: string }, opts: { holdTruncated?: boolean } = {}): Promise<Receipt> {
    return this.serialized(() => this.applyNow(req.path, opts));
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(path: string, opts: { holdTruncated?: boolean }): Promise<Receipt> {
    const t0 = Date.now();
    let verified;
    try {
      verified = await verifyBundleFile(path, this.verifyOptions());
    } catch (err) {
      const e = toErrorData(err);
      // A file from a source that may still be being copied: the intake tries it again, or refuses it once settled.
      if (opts.holdTruncated && e.code === 'BUNDLE_TRUNCATED') throw err;
      await quarantine(this.layout.quarantine, path, e, this.cfg.quarantineMaxBytes);
      const receipt: Receipt = { bundleId: basename(path), outcome: 'refused', code: e.code, message: e.message, slots: [], timings: { verify: Date.now() - t0 } };
      await this.audit.append('bundle.refused', { file: basename(path), code: e.code });
      this.metrics.refused(e.code);
      await this.outbox.write('receipt', receipt);
      this.log('warn', 'bundle refused', { file: path, code: e.code, message: e.message });
      return receipt;
    }
    const m = verified.manifest;
    const timings: Record<string, number> = { verify: Date.now() - t0 };
    for (const r of verified.newRoots) await persistRoot(this.layout, r.root, r.envelope);
    await this.counters.rootAdopted(verified.root.version);
    this.root = verified.root;
    await this.counters.bundleVerified(Date.parse(m.issuedAt), m.auditHead);
    for (const b of verified.blobs) await this.store.adopt(verified.staging, b.digest);
    await verified.discard();

    let failure: { code?: string; message?: string } | null = null;
    for (const [name, slotManifest] of Object.entries(m.slots)) {
      const outcome = await this.slots.get(name)!.install({ id: releaseId(m.channel, m.sequence, slotManifest), bundleId: m.bundleId, channel: m.channel, sequence: m.sequence, slot: slotManifest, stagedAt: toTimestamp() });
      for (const [k, v] of Object.entries(outcome.timings)) timings[`${name}.${k}`] = v;
      if (outcome.outcome === 'rolled_back') {
        failure ??= { ...(outcome.code ? { code: outcome.code } : {}), ...(outcome.message ? { message: outcome.message } : {}) };
        this.metrics.rolledBack(name, outcome.code ?? 'RUNTIME_FAILED');
      } else await this.counters.raiseFloor(name, slotManifest.securityFloor);
    }
    await this.counters.bundleTaken(m.channel, m.sequence);
    await this.collectGarbage();
    const receipt: Receipt = {
      bundleId: m.bundleId,
      channel: m.channel,
      sequence: m.sequence,
      outcome: failure ? 'rolled_back' : 'applied',
      ...(failure ?? {}),
      slots: Object.entries(m.slots).map(([slot, s]) => ({ slot, model: s.model.name, version: s.model.version, digest: s.model.digest })),
      timings,
    };
    await this.audit.append(`bundle.${receipt.outcome}`, { bundleId: m.bundleId, channel: m.channel, sequence: m.sequence, ...(failure ?? {}) });
    if (!failure) this.metrics.applied(m.channel);
    await this.outbox.write('receipt', receipt);
    this.log(failure ? 'warn' : 'info', `bundle ${receipt.outcome}`, { bundleId: m.bundleId, sequence: m.sequence, ...(failure ?? {}) });
    return receipt;
  }

  /** The trust and the host policy every verification on this host runs under, with a staging directory of its own. */
  private verifyOptions(): VerifyBundleOptions {
    return {
      trust: { root: this.root, highWaterMs: this.counters.value.highWaterMs, maxSkewMs: this.cfg.maxClockSkewMs },
      stagingDir: join(this.layout.staging, randomBytes(8).toString('hex')),
      accept: hostPolicy({ cfg: this.cfg, hostId: this.identity.hostId, counters: this.counters.value, store: this.store, secret: this.secret }),
    };
  }

  /** Verification only: the same checks as an apply, nothing installed, nothing kept. */
  async verify(req: { path: string }) {
    const verified = await verifyBundleFile(req.path, this.verifyOptions());
    await verified.discard();
    return { bundleId: verified.manifest.bundleId, channel: verified.manifest.channel, sequence: verified.manifest.sequence, slots: Object.keys(verified.manifest.slots) };
  }

  private async collectGarbage(): Promise<void> {
    const live = new Set<string>();
    for (const s of this.slots.values()) for (const d of await s.liveDigests()) live.add(d);
    await this.store.gc(live);
  }

  async rollback(req: { slot: string; to?: string | undefined; authorisation?: Envelope | undefined }) {
    const { slot: slotName, to, authorisation } = req;
    const slot = this.slots.get(slotName);
    if (!slot) throw new AirlockError('NOT_FOUND', `There is no slot "${slotName}" on this host (slots: ${[...this.slots.keys()].join(', ')}).`);
    let used: RollbackAuthorisation | undefined;
    // The authorisation is spent before the switch, so that no crash can leave it usable twice.
    const authorise = authorisation
      ? async (target: ReleaseMeta['slot']['model']) => {
          const { usedAuthorisations, highWaterMs } = this.counters.value;
          const a = checkRollbackAuthorisation(authorisation, target, { root: this.root, hostId: this.identity.hostId, environment: this.cfg.environment, slot: slotName, used: usedAuthorisations, clockMs: Date.now(), highWaterMs, maxSkewMs: this.cfg.maxClockSkewMs });
          await this.counters.spendAuthorisation(a.id, Date.parse(a.expiresAt), Date.parse(a.issuedAt), Date.now());
          used = a;
        }
      : undefined;
    const r = await this.serialized(() => slot.rollback(to, this.counters.value.floors[slotName] ?? 0, authorise));
    const by = used ? { authorisation: used.id, issuedBy: used.issuedBy, reason: used.reason } : {};
    await this.audit.append('slot.rollback', { slot: slotName, ...r, ...by });
    this.metrics.rolledBack(slotName, 'MANUAL_ROLLBACK');
    const meta = slot.activeRelease!;
    const message = `rolled back from ${r.from} to ${r.to}${used ? ` below the floor, authorised by ${used.issuedBy} (${used.id}): ${used.reason}` : ''}`;
    await this.outbox.write('receipt', { bundleId: meta.bundleId, channel: meta.channel, sequence: meta.sequence, outcome: 'rolled_back', code: 'MANUAL_ROLLBACK', message, slots: [{ slot: slotName, model: meta.slot.model.name, version: meta.slot.model.version, digest: meta.slot.model.digest }], timings: { switch: r.ms } });
    return { ...r, ...by };
  }

  async status(): Promise<HostStatus> {
    const digests: string[] = [];
    for await (const d of this.store.list()) digests.push(d);
    return {
      slots: await Promise.all(
        [...this.slots.values()].map(async (s) => {
          const meta = s.activeRelease;
          const proxy = this.proxies.get(s.name)!;
          const [p50, p95, p99] = await proxy.metrics.percentilesMs([50, 95, 99]);
          return {
            slot: s.name,
            model: meta?.slot.model.name ?? null,
            version: meta?.slot.model.version ?? null,
            digest: meta?.slot.model.digest ?? null,
            release: meta?.id ?? null,
            healthy: s.healthy,
            state: s.state,
            releases: s.releases,
            securityFloor: this.counters.value.floors[s.name] ?? 0,
            requests: await proxy.metrics.totals(),
            latencyMs: { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null },
            ...(meta?.slot.model.kind === 'llm' ? { llm: proxy.metrics.llm.summary(proxy.metrics.version) } : {}),
          };
        }),
      ),
      rootVersion: this.root.version,
      highWater: this.counters.value.highWaterMs ? toTimestamp(this.counters.value.highWaterMs) : null,
      channels: { ...this.counters.value.channels },
      blobs: { count: digests.length, digests: digests as HostStatus['blobs']['digests'] },
      uptimeSeconds: Math.round((Date.now() - this.started) / 1000),
      auditHead: this.counters.value.auditHead,
      alerts: this.alerts(),
      drift: [...this.taps.values()].flatMap((t) => t.summary()),
    };
  }

  /** Writes a status report and the audit events not reported yet. */
  async report(): Promise<string[]> {
    const names: string[] = [];
    // A status that cannot be written must not also hold back the audit events: they go regardless.
    const status = await this.status().then((s) => this.outbox.write('status', s)).then(
      (name) => void names.push(name),
      (err: unknown) => err,
    );
    const events = this.audit.tail(this.auditReported);
    if (events.length > 0) {
      names.push(await this.outbox.write('audit', { events: events.map(({ sig: _sig, ...e }) => e) }));
      this.auditReported = events.at(-1)!.seq;
    }
    if (status !== undefined) throw status;
    return names;
  }

  export(req: { to: string }): Promise<string[]> {
    return this.outbox.exportTo(req.to);
  }

  /** Answers first, then shuts down as SIGTERM would (the answer must leave before the socket closes). */
  async shutdown(): Promise<{ stopping: true }> {
    setTimeout(() => this.opts.onShutdown?.(), 50);
    return { stopping: true };
  }

  /**
   * Bounded and idempotent: stop taking work, let requests in flight finish (up to the drain grace),
   * then stop every runtime.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.statusTimer);
      await this.watcher?.close();
      for (const stopMirror of this.stopMirrors) stopMirror();
      await this.control?.close();
      await this.admin?.close();
      await Promise.all([...this.proxies.values()].map((p) => p.close(this.cfg.drainGraceMs)));
      for (const t of this.taps.values()) t.stop();
      await Promise.all([...this.slots.values()].map((s) => s.stop()));
      // Whatever runtime is still found working in the slots now was lost track of: it goes too.
      const leftover = await this.records.reclaim(2000);
      if (leftover.length) this.log('warn', 'runtimes still running after the slots stopped were stopped', { pids: leftover });
      await this.unlock();
      this.log('info', 'agent stopped');
    })();
    return this.stopping;
  }

  /** Last resort after a defect: runtimes are stopped at once (their groups killed), never left orphaned. */
  async emergencyStop(): Promise<void> {
    await this.records.reclaim(0);
  }
}

/** A port that cannot be taken names what wanted it and the configuration key that chose it. */
function listenFailure(err: unknown, what: string, port: number, key: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new AirlockError('CONFIG_INVALID', `${what} cannot listen on 127.0.0.1:${port} (${key}): another process uses that port. Stop it or choose another port.`);
  if (code === 'EACCES') return new AirlockError('CONFIG_INVALID', `${what} may not listen on 127.0.0.1:${port} (${key}): ports below 1024 need privileges. Choose another port.`);
  return err;
}
