import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import { AirlockError, isAirlockError } from '@airlock/shared/common';
import type { ContentStore } from '@airlock/shared/node';
import type { AgentConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { SlotProxy } from '../proxy/slot-proxy.js';
import { healthGate, probe } from '../runtime/health.js';
import { freePort, Runtime } from '../runtime/supervisor.js';
import { JsonFile } from '../state/json-file.js';
import type { StateLayout } from '../state/layout.js';
import { listReleases, pointCurrent, readCurrent, readReleaseMeta, releasePaths, removeRelease, removeStagingLeftovers, stageRelease, type ReleaseMeta } from './release.js';

export const JOURNAL_STEPS = ['verified', 'staged', 'switched', 'probation', 'committed', 'rolled_back'] as const;
export type JournalStep = (typeof JOURNAL_STEPS)[number];

const JournalSchema = z.strictObject({
  step: z.enum(JOURNAL_STEPS),
  release: z.string(),
  previous: z.string().nullable(),
  bundleId: z.string(),
  at: z.string(),
});
type Journal = z.infer<typeof JournalSchema>;

const GoodSchema = z.strictObject({ good: z.array(z.string()) });

interface Running {
  meta: ReleaseMeta;
  runtime: Runtime;
}

export interface InstallOutcome {
  outcome: 'applied' | 'rolled_back';
  code?: string;
  message?: string;
  timings: Record<string, number>;
}

export interface SlotDeps {
  cfg: AgentConfig;
  layout: StateLayout;
  store: ContentStore;
  proxy: SlotProxy;
  log: Logger;
  secret: (name: string) => string | undefined;
  audit: (action: string, detail: Record<string, unknown>) => Promise<unknown>;
  /** test hook: called after each journal write, so a test can kill the agent at every step */
  onStep?: (step: JournalStep) => Promise<void> | void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One slot: its releases, the running release behind the proxy, and a warm standby (the previous good
 * release) for instant rollback. Every step of an install is journaled before it is taken, so a restart
 * can finish or undo whatever was in flight.
 */
export class Slot {
  private active: Running | null = null;
  private standby: Running | null = null;
  private good: string[] = [];
  state: 'idle' | 'installing' | 'probation' = 'idle';
  private readonly journal: JsonFile<Journal | null>;
  private readonly goodFile: JsonFile<{ good: string[] }>;
  private readonly paths;

  constructor(
    readonly name: string,
    private readonly deps: SlotDeps,
  ) {
    this.paths = deps.layout.slot(name);
    this.journal = new JsonFile(this.paths.journal, JournalSchema.nullable(), () => null);
    this.goodFile = new JsonFile(`${this.paths.base}/good.json`, GoodSchema, () => ({ good: [] }));
  }

  get activeRelease(): ReleaseMeta | null {
    return this.active?.meta ?? null;
  }

  get releases(): string[] {
    return [...this.good];
  }

  get healthy(): boolean {
    return this.active !== null && this.deps.proxy.current !== null;
  }

  private async step(step: JournalStep, j: Omit<Journal, 'step' | 'at'>): Promise<void> {
    await this.journal.write({ ...j, step, at: new Date().toISOString() });
    await this.deps.onStep?.(step);
  }

  private async startRuntime(meta: ReleaseMeta): Promise<Running> {
    const p = releasePaths(this.paths.releases, meta.id);
    const secrets = Object.fromEntries(meta.slot.secrets.map((s) => [s, this.deps.secret(s) ?? '']));
    const runtime = new Runtime(meta.slot.runtime, { releaseDir: p.dir, configPath: p.config, port: await freePort(), secrets, log: (l, m, f) => this.deps.log(l, m, { slot: this.name, release: meta.id, ...f }) });
    runtime.start();
    let alive = true;
    const onExit = () => (alive = false);
    runtime.once('exit', onExit);
    try {
      await healthGate(runtime.port, meta.slot.health, () => alive);
    } catch (err) {
      await runtime.stop();
      throw err;
    } finally {
      runtime.off('exit', onExit);
    }
    return { meta, runtime };
  }

  private serve(r: Running | null, reason?: string): void {
    this.deps.proxy.setTarget(r ? { port: r.runtime.port, release: r.meta.id, version: `${r.meta.slot.model.name}@${r.meta.slot.model.version}` } : null, reason);
  }

  /** On start: finish or undo what the journal says was in flight, then serve the current release. */
  async recover(): Promise<void> {
    await mkdir(this.paths.releases, { recursive: true });
    this.good = (await this.goodFile.read()).good;
    const j = await this.journal.read();
    let current = await readCurrent(this.paths.current);
    if (j && j.step !== 'committed' && j.step !== 'rolled_back') {
      // Interrupted before commit: the previous release is the one known to be good.
      await pointCurrent(this.paths.current, j.previous);
      if (!this.good.includes(j.release)) await removeRelease(this.paths.releases, j.release);
      await this.step('rolled_back', { release: j.release, previous: j.previous, bundleId: j.bundleId });
      await this.deps.audit('recover.undo', { slot: this.name, release: j.release, interruptedAt: j.step, restored: j.previous });
      this.deps.log('warn', 'undid an install interrupted by a restart', { slot: this.name, release: j.release, step: j.step });
      current = j.previous;
    }
    for (const id of await listReleases(this.paths.releases)) {
      if (!this.good.includes(id) && id !== current) await removeRelease(this.paths.releases, id);
    }
    await removeStagingLeftovers(this.paths.releases);
    if (!current) {
      this.serve(null, 'no release has been installed yet');
      return;
    }
    try {
      this.active = await this.startRuntime(await readReleaseMeta(this.paths.releases, current));
      this.serve(this.active);
      this.watchActive();
      const previous = this.good.filter((g) => g !== current).at(-1);
      if (previous && this.active.meta.slot.runtime.strategy === 'blue-green') {
        this.standby = await this.startRuntime(await readReleaseMeta(this.paths.releases, previous)).catch(() => null);
      }
    } catch (err) {
      this.serve(null, `release ${current} failed to start: ${(err as Error).message}`);
      this.deps.log('error', 'current release failed to start', { slot: this.name, release: current, error: (err as Error).message });
    }
  }

  /** The active runtime dying outside an install takes the slot out of service until it is back. */
  private watchActive(): void {
    const r = this.active;
    if (!r) return;
    r.runtime.on('exit', () => {
      if (this.active === r && this.state === 'idle') this.serve(null, `release ${r.meta.id} exited; restarting`);
    });
    const timer = setInterval(async () => {
      if (this.active !== r) return clearInterval(timer);
      if (this.state !== 'idle' || this.deps.proxy.current) return;
      if (await probe(r.runtime.port, r.meta.slot.health.path, 1000)) this.serve(r);
    }, this.deps.cfg.probeIntervalMs);
    timer.unref();
  }

  /** Installs a verified release: stage, health gate, switch, probation, then commit or roll back. */
  async install(meta: ReleaseMeta): Promise<InstallOutcome> {
    const t0 = Date.now();
    const timings: Record<string, number> = {};
    const mark = (k: string) => (timings[k] = Date.now() - t0);
    const previous = this.active?.meta.id ?? (await readCurrent(this.paths.current));
    const j = { release: meta.id, previous, bundleId: meta.bundleId };
    this.state = 'installing';
    try {
      await this.step('verified', j);
      await stageRelease(this.deps.store, this.paths.releases, meta);
      await this.step('staged', j);
      mark('staged');
      const strategy = meta.slot.runtime.strategy;
      const old = this.active;
      if (strategy === 'stop-start' && old) {
        this.serve(null, `switching ${this.name} to ${meta.id}`);
        await old.runtime.stop();
      }
      let next: Running;
      try {
        next = await this.startRuntime(meta);
      } catch (err) {
        mark('health_failed');
        await this.undo(j, old, strategy === 'stop-start');
        return { outcome: 'rolled_back', code: isAirlockError(err) ? err.code : 'RUNTIME_FAILED', message: (err as Error).message, timings };
      }
      mark('healthy');
      await pointCurrent(this.paths.current, meta.id);
      this.serve(next);
      this.active = next;
      await this.step('switched', j);
      mark('switched');
      this.state = 'probation';
      await this.step('probation', j);
      const failure = await this.probation(next, strategy === 'blue-green' ? old : null);
      if (failure) {
        mark('probation_failed');
        await next.runtime.stop();
        this.active = old;
        await this.undo(j, old, strategy === 'stop-start');
        return { outcome: 'rolled_back', code: 'PROBATION_FAILED', message: failure, timings };
      }
      await this.commit(meta, old);
      await this.step('committed', j);
      mark('committed');
      return { outcome: 'applied', timings };
    } finally {
      this.state = 'idle';
      this.watchActive();
    }
  }

  /** Back to the previous release at once: the warm old runtime, or a cold restart of it for stop-start. */
  private async undo(j: Omit<Journal, 'step' | 'at'>, old: Running | null, restartOld: boolean): Promise<void> {
    let restored = old;
    if (old && restartOld) restored = await this.startRuntime(old.meta).catch(() => null);
    this.active = restored;
    this.serve(restored, restored ? undefined : `release ${j.release} failed and there is no previous release`);
    await pointCurrent(this.paths.current, j.previous);
    await removeRelease(this.paths.releases, j.release);
    await this.step('rolled_back', j);
  }

  /** `warm`: the previous release if it is still running (blue/green), to switch back to on a crash. */
  private async probation(next: Running, warm: Running | null): Promise<string | null> {
    const spec = next.meta.slot.health;
    const until = Date.now() + spec.probationMs;
    let exited = false;
    // A crash switches back at once, from the exit event itself, not at the next poll.
    const onExit = () => {
      exited = true;
      this.serve(warm, `release ${next.meta.id} crashed in probation`);
    };
    next.runtime.once('exit', onExit);
    try {
      while (Date.now() < until) {
        await sleep(Math.min(this.deps.cfg.probeIntervalMs, Math.max(0, until - Date.now())));
        if (exited) return 'the runtime exited during probation';
        const stats = this.deps.proxy.targetStats;
        if (stats.requests >= this.deps.cfg.probationMinRequests && stats.errors / stats.requests > spec.errorBudget) {
          return `${stats.errors} of ${stats.requests} requests failed, over the ${spec.errorBudget} error budget`;
        }
        if (Date.now() < until && !(await probe(next.runtime.port, spec.path, 1000))) return `${spec.path} stopped answering 200`;
      }
      return exited ? 'the runtime exited during probation' : null;
    } finally {
      next.runtime.off('exit', onExit);
    }
  }

  /** The new release is good: the old one becomes the warm standby, older ones are pruned. */
  private async commit(meta: ReleaseMeta, old: Running | null): Promise<void> {
    const retired = this.standby;
    this.standby = meta.slot.runtime.strategy === 'blue-green' ? old : null;
    if (old && !this.standby) await old.runtime.stop();
    if (retired && retired !== this.standby) await retired.runtime.stop();
    this.good = [...this.good.filter((g) => g !== meta.id), meta.id];
    const keep = this.good.slice(-this.deps.cfg.keepReleases);
    for (const id of this.good.filter((g) => !keep.includes(g))) await removeRelease(this.paths.releases, id);
    this.good = keep;
    await this.goodFile.write({ good: this.good });
  }

  /** Blobs the kept releases still need; everything else in the store may be collected. */
  async liveDigests(): Promise<string[]> {
    const out: string[] = [];
    for (const id of this.good) out.push(...(await readReleaseMeta(this.paths.releases, id)).slot.files.map((f) => f.digest));
    return out;
  }

  /**
   * Manual rollback to a kept release (the previous good one by default). The warm standby switches in
   * a pointer swap; any other release starts cold and must pass its health gate first. Below the floor
   * only when `authorise` is given and accepts the target (it rejects otherwise).
   */
  async rollback(
    to: string | undefined,
    floor: number,
    authorise?: (target: ReleaseMeta['slot']['model']) => Promise<void>,
  ): Promise<{ from: string | null; to: string; warm: boolean; ms: number; belowFloor: boolean }> {
    const t0 = process.hrtime.bigint();
    if (this.state !== 'idle') throw new AirlockError('CONFLICT', `Slot ${this.name} is busy installing; try again when it is idle.`);
    const from = this.active;
    const targetId = to ?? this.good.filter((g) => g !== from?.meta.id).at(-1);
    if (!targetId || !this.good.includes(targetId)) {
      throw new AirlockError('NO_RELEASE', to ? `Release ${to} is not a kept good release of slot ${this.name} (kept: ${this.good.join(', ') || 'none'}).` : `Slot ${this.name} has no earlier good release to roll back to.`);
    }
    const meta = this.standby?.meta.id === targetId ? this.standby.meta : await readReleaseMeta(this.paths.releases, targetId);
    const belowFloor = meta.slot.model.version < floor;
    if (belowFloor && !authorise) {
      throw new AirlockError('BELOW_FLOOR', `${meta.slot.model.name}@${meta.slot.model.version} is below slot ${this.name}'s security floor (${floor}); pass a signed rollback authorisation (--authorisation FILE).`);
    }
    if (belowFloor) await authorise!(meta.slot.model);
    const warm = this.standby?.meta.id === targetId;
    const next = warm ? this.standby! : await this.startRuntime(meta);
    this.serve(next);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    this.standby = from && from.meta.slot.runtime.strategy === 'blue-green' ? from : null;
    if (from && !this.standby) await from.runtime.stop();
    this.active = next;
    await pointCurrent(this.paths.current, targetId);
    this.watchActive();
    return { from: from?.meta.id ?? null, to: targetId, warm, ms, belowFloor };
  }

  async stop(): Promise<void> {
    await Promise.all([this.active?.runtime.stop(), this.standby?.runtime.stop()]);
  }
}
