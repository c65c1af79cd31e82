import { mkdir } from 'node:fs/promises';
import { AirlockError, isAirlockError } from '@airlock/shared/common';
import type { ContentStore } from '@airlock/shared/node';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { SlotProxy } from '../proxy/slot-proxy.js';
import { probe } from '../runtime/health.js';
import type { ProcessRecords } from '../runtime/process-records.js';
import { startRelease, type RunningRelease } from '../runtime/running-release.js';
import { freePort, Runtime } from '../runtime/supervisor.js';
import type { StateLayout } from '../state/layout.js';
import { interrupted, Journal, type Install, type JournalStep } from './journal.js';
import { releaseProfile } from '../drift/profile-file.js';
import { KeptReleases } from './kept-releases.js';
import { probation, systemClock, type Clock } from './probation.js';
import { listReleases, pointCurrent, readCurrent, releasePaths, removeRelease, removeStagingLeftovers, stageRelease, type ReleaseMeta } from './release.js';

export interface InstallOutcome {
  outcome: 'applied' | 'rolled_back';
  code?: string;
  message?: string;
  timings: Record<string, number>;
}

export interface RollbackResult {
  from: string | null;
  to: string;
  warm: boolean;
  ms: number;
  belowFloor: boolean;
}

export interface SlotDeps {
  cfg: AgentConfig;
  layout: StateLayout;
  store: ContentStore;
  proxy: SlotProxy;
  records: ProcessRecords;
  log: Logger;
  secret: (name: string) => string | undefined;
  audit: (action: string, detail: Record<string, unknown>) => Promise<unknown>;
  /** the slot's security floor now: a failover never goes below it */
  floor: () => number;
  /** the active runtime crashed and the slot switched to its standby */
  failedOver?: (from: string, to: string) => void;
  clock?: Clock;
  /** test hook: called after each journal write, so a test can kill the agent at every step */
  onStep?: (step: JournalStep) => Promise<void> | void;
}

/**
 * One slot: its kept releases, the running release behind the proxy, and a warm standby (the release
 * that served before) for instant rollback and failover. Every step of an install is journaled before
 * it is taken, so a restart can finish or undo whatever was in flight.
 */
export class Slot {
  private active: RunningRelease | null = null;
  private standby: RunningRelease | null = null;
  /** set during probation: the release to switch back to if the new one crashes */
  private probationWarm: RunningRelease | null | undefined;
  /** why the slot serves something other than the release it was given, for status, /readyz and reports */
  alert: { code: 'STATE_DAMAGED' | 'FAILED_OVER'; message: string } | null = null;
  state: 'idle' | 'installing' | 'probation' = 'idle';
  private readonly journal: Journal;
  private readonly kept: KeptReleases;
  private readonly paths;

  constructor(
    readonly name: string,
    private readonly deps: SlotDeps,
  ) {
    this.paths = deps.layout.slot(name);
    this.journal = new Journal(this.paths.journal, name, deps.onStep);
    this.kept = new KeptReleases(this.paths.releases, this.paths.base, name, deps.cfg.keepReleases);
  }

  get activeRelease(): ReleaseMeta | null {
    return this.active?.meta ?? null;
  }

  get releases(): string[] {
    return [...this.kept.ids];
  }

  get healthy(): boolean {
    return this.active !== null && this.deps.proxy.current !== null;
  }

  private async start(meta: ReleaseMeta): Promise<RunningRelease> {
    const p = releasePaths(this.paths.releases, meta.id);
    const secrets = Object.fromEntries(meta.slot.secrets.map((s) => [s, this.deps.secret(s) ?? '']));
    const log = this.deps.log;
    const runtime = new Runtime(meta.slot.runtime, { releaseDir: p.dir, configPath: p.config, port: await freePort(), secrets, records: this.deps.records, log: (l, m, f) => log(l, m, { slot: this.name, release: meta.id, ...f }) });
    const running = await startRelease(meta, runtime, { down: (r) => this.down(r), up: (r) => this.up(r) }, this.deps.cfg.probeIntervalMs);
    // A profile that cannot be read turns drift off for this release; it never stops the release serving.
    running.drift = await releaseProfile(p.dir, meta.slot).catch((err: unknown) => {
      log('error', 'drift profile unreadable: drift is not monitored for this release', { slot: this.name, release: meta.id, error: String(err) });
      return null;
    });
    return running;
  }

  private serve(r: RunningRelease | null, reason?: string): void {
    this.deps.proxy.setTarget(r ? { port: r.runtime.port, release: r.id, version: `${r.meta.slot.model.name}@${r.meta.slot.model.version}`, drift: r.drift, llm: r.meta.slot.model.kind === 'llm' } : null, reason);
  }

  /**
   * A runtime exited. The active one outside an install fails over at once to the warm standby (when
   * it is up and not below the floor); the crashed one restarts behind it and becomes the standby. In
   * probation the slot switches back to the release that served before.
   */
  private down(r: RunningRelease): void {
    if (r === this.active && this.state === 'probation' && this.probationWarm !== undefined) {
      this.serve(this.probationWarm, `release ${r.id} crashed in probation`);
      return;
    }
    if (r !== this.active || this.state !== 'idle') return;
    const standby = this.standby;
    if (standby?.up && standby.version >= this.deps.floor()) {
      this.active = standby;
      this.standby = r;
      this.serve(standby);
      this.deps.failedOver?.(r.id, standby.id);
      this.alert = { code: 'FAILED_OVER', message: `serving ${standby.id} since ${r.id} crashed at ${new Date().toISOString()}; ${r.id} restarts as the warm standby, and \`airlock-agent rollback ${this.name}\` switches back to it` };
      this.deps.log('warn', 'active runtime crashed: failed over to the standby', { slot: this.name, crashed: r.id, serving: standby.id });
      void pointCurrent(this.paths.current, standby.id)
        .then(() => this.deps.audit('slot.failover', { slot: this.name, crashed: r.id, serving: standby.id }))
        .catch((err: unknown) => this.deps.log('error', 'recording a failover failed', { slot: this.name, error: String(err) }));
      return;
    }
    this.serve(null, `release ${r.id} exited; restarting`);
  }

  private up(r: RunningRelease): void {
    if (r === this.active && this.state === 'idle' && !this.deps.proxy.current) this.serve(r);
  }

  /** On start: finish or undo what the journal says was in flight, then serve the newest good release that verifies. */
  async recover(): Promise<void> {
    await mkdir(this.paths.releases, { recursive: true });
    await this.kept.load();
    const j = await this.journal.read();
    let current = await readCurrent(this.paths.current);
    if (interrupted(j)) {
      // Interrupted before commit: the previous release is the one known to be good.
      await pointCurrent(this.paths.current, j.previous);
      if (!this.kept.has(j.release)) await removeRelease(this.paths.releases, j.release);
      await this.journal.step('rolled_back', j);
      await this.deps.audit('recover.undo', { slot: this.name, release: j.release, interruptedAt: j.step, restored: j.previous });
      this.deps.log('warn', 'undid an install interrupted by a restart', { slot: this.name, release: j.release, step: j.step });
      current = j.previous;
    }
    for (const id of await listReleases(this.paths.releases)) {
      if (!this.kept.has(id) && id !== current) await removeRelease(this.paths.releases, id);
    }
    await removeStagingLeftovers(this.paths.releases);
    if (!current) {
      this.serve(null, 'no release has been installed yet');
      return;
    }
    const problems: string[] = [];
    for (const id of [current, ...this.kept.others(current)]) {
      try {
        this.active = await this.start(await this.kept.verified(id));
      } catch (err) {
        problems.push(`${id}: ${(err as Error).message}`);
        this.deps.log('error', 'a kept release cannot serve', { slot: this.name, release: id, error: (err as Error).message });
        continue;
      }
      this.serve(this.active);
      if (id !== current) {
        this.alert = { code: 'STATE_DAMAGED', message: `serving ${id} because the current release ${current} cannot serve (${problems[0]})` };
        await pointCurrent(this.paths.current, id);
        await this.deps.audit('slot.fallback', { slot: this.name, release: id, damaged: current, problems });
      }
      break;
    }
    if (!this.active) {
      this.serve(null, `no kept release can serve: ${problems.join('; ')}`);
      return;
    }
    const previous = this.kept.others(this.active.id)[0];
    if (previous && this.active.meta.slot.runtime.strategy === 'blue-green') {
      this.standby = await this.kept.verified(previous).then((m) => this.start(m)).catch(() => null);
    }
  }

  /** Installs a verified release: stage, health gate, switch, probation, then commit or roll back. */
  async install(meta: ReleaseMeta): Promise<InstallOutcome> {
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const mark = (k: string) => (timings[k] = Math.round(performance.now() - t0));
    const j: Install = { release: meta.id, previous: this.active?.id ?? (await readCurrent(this.paths.current)), bundleId: meta.bundleId };
    this.state = 'installing';
    try {
      await this.journal.step('verified', j);
      await stageRelease(this.deps.store, this.paths.releases, meta);
      await this.journal.step('staged', j);
      mark('staged');
      const blueGreen = meta.slot.runtime.strategy === 'blue-green';
      const old = this.active;
      if (!blueGreen && old) {
        this.serve(null, `switching ${this.name} to ${meta.id}`);
        await old.stop();
      }
      let next: RunningRelease;
      try {
        next = await this.start(meta);
      } catch (err) {
        mark('health_failed');
        await this.undo(j, old, !blueGreen);
        return { outcome: 'rolled_back', code: isAirlockError(err) ? err.code : 'RUNTIME_FAILED', message: (err as Error).message, timings };
      }
      mark('healthy');
      await pointCurrent(this.paths.current, meta.id);
      this.serve(next);
      this.active = next;
      await this.journal.step('switched', j);
      mark('switched');
      this.state = 'probation';
      this.probationWarm = blueGreen ? old : null;
      await this.journal.step('probation', j);
      const failure = await this.watchProbation(next);
      if (failure) {
        mark('probation_failed');
        await next.stop();
        await this.undo(j, old, !blueGreen);
        return { outcome: 'rolled_back', code: 'PROBATION_FAILED', message: failure, timings };
      }
      await this.commit(next, old);
      await this.journal.step('committed', j);
      mark('committed');
      return { outcome: 'applied', timings };
    } finally {
      this.state = 'idle';
      this.probationWarm = undefined;
    }
  }

  private watchProbation(next: RunningRelease): Promise<string | null> {
    const spec = next.meta.slot.health;
    return probation({
      clock: this.deps.clock ?? systemClock,
      durationMs: spec.probationMs,
      intervalMs: this.deps.cfg.probeIntervalMs,
      minRequests: this.deps.cfg.probationMinRequests,
      errorBudget: spec.errorBudget,
      healthPath: spec.path,
      stats: () => this.deps.proxy.targetStats,
      exited: () => next.exited,
      probe: () => probe(next.runtime.port, spec.path, 1000),
    });
  }

  /** Back to the previous release at once: the warm old runtime, or a cold restart of it for stop-start. */
  private async undo(j: Install, old: RunningRelease | null, restartOld: boolean): Promise<void> {
    const restored = old && restartOld ? await this.start(old.meta).catch(() => null) : old;
    this.active = restored;
    this.serve(restored, restored ? undefined : `release ${j.release} failed and there is no previous release`);
    await pointCurrent(this.paths.current, j.previous);
    await removeRelease(this.paths.releases, j.release);
    await this.journal.step('rolled_back', j);
  }

  /** The new release is good: the one it replaced becomes the warm standby, older ones are pruned. */
  private async commit(next: RunningRelease, old: RunningRelease | null): Promise<void> {
    const retired = this.standby;
    this.standby = next.meta.slot.runtime.strategy === 'blue-green' ? old : null;
    if (old && !this.standby) await old.stop();
    if (retired && retired !== this.standby) await retired.stop();
    this.alert = null;
    await this.kept.add(next.id);
  }

  liveDigests(): Promise<string[]> {
    return this.kept.liveDigests();
  }

  /**
   * Manual rollback to a kept release: by default the one that served before (the warm standby), which
   * switches in a pointer swap; any other release starts cold and must pass its health gate first.
   * Below the floor only when `authorise` is given and accepts the target (it rejects otherwise).
   */
  async rollback(to: string | undefined, floor: number, authorise?: (target: ReleaseMeta['slot']['model']) => Promise<void>): Promise<RollbackResult> {
    const t0 = process.hrtime.bigint();
    if (this.state !== 'idle') throw new AirlockError('CONFLICT', `Slot ${this.name} is busy installing; try again when it is idle.`);
    const from = this.active;
    const targetId = to ?? this.standby?.id ?? this.kept.others(from?.id ?? null)[0];
    if (!targetId || !this.kept.has(targetId) || targetId === from?.id) {
      throw new AirlockError(
        'NO_RELEASE',
        to ? `Release ${to} is not a kept good release of slot ${this.name} other than the one serving (kept: ${this.kept.ids.join(', ') || 'none'}).` : `Slot ${this.name} has no earlier good release to roll back to.`,
      );
    }
    const warm = this.standby?.id === targetId && this.standby.up;
    const meta = warm ? this.standby!.meta : await this.kept.verified(targetId);
    const belowFloor = meta.slot.model.version < floor;
    if (belowFloor && !authorise) {
      throw new AirlockError('BELOW_FLOOR', `${meta.slot.model.name}@${meta.slot.model.version} is below slot ${this.name}'s security floor (${floor}); pass a signed rollback authorisation (--authorisation FILE).`);
    }
    if (belowFloor) await authorise!(meta.slot.model);
    const next = warm ? this.standby! : await this.start(meta);
    this.serve(next);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // What served until now (a failover during the awaits above may have changed it) becomes the
    // standby; every other runtime is stopped, never left behind.
    const serving = this.active;
    const running = new Set([this.standby, from, serving]);
    const keep = serving && serving !== next && serving.meta.slot.runtime.strategy === 'blue-green' ? serving : null;
    this.active = next;
    this.standby = keep;
    this.alert = null;
    for (const r of running) if (r && r !== next && r !== keep) await r.stop();
    await pointCurrent(this.paths.current, targetId);
    return { from: from?.id ?? null, to: targetId, warm, ms, belowFloor };
  }

  async stop(): Promise<void> {
    await Promise.all([this.active?.stop(), this.standby?.stop()]);
  }
}
