import { z } from 'zod';
import { AirlockError, AuditHeadSchema, newerHead, type AuditHead } from '@airlock/shared/common';
import type { StateLayout } from './layout.js';
import { StateFile } from './state-file.js';

/**
 * What the agent must never forget: the trusted root version, per-channel sequences, per-slot floors,
 * the highest signed time, the rollback authorisations it used (id → expiry; forgotten once expired,
 * when they are void anyway) and the sequence of its own reports. Every field only grows.
 */
export const CountersSchema = z.strictObject({
  rootVersion: z.int().min(1),
  channels: z.record(z.string(), z.int()),
  floors: z.record(z.string(), z.int()),
  highWaterMs: z.number(),
  reportSeq: z.int(),
  usedAuthorisations: z.record(z.string(), z.number()),
  /** the newest registry audit head seen in a verified bundle, sent back in status reports */
  auditHead: AuditHeadSchema.nullable(),
  /** the host audit log's sequence when these counters were written: a shorter log has lost events */
  auditSeq: z.int().min(0),
});
export type Counters = z.infer<typeof CountersSchema>;

export const initialCounters = (rootVersion: number): Counters => ({ rootVersion, channels: {}, floors: {}, highWaterMs: 0, reportSeq: 0, usedAuthorisations: {}, auditHead: null, auditSeq: 0 });

export const recoveryHint = (dir: string) =>
  `Stop the agent and run \`airlock-agent recover --state ${dir}\`: it rebuilds them from this host's audit log when that chain verifies; otherwise ask an admin for \`airlock host reset HOST --reason TEXT --out FILE\` and run \`airlock-agent recover --state ${dir} --reset FILE\`.`;

export const countersFile = (layout: StateLayout) =>
  new StateFile({
    path: layout.counters,
    schema: CountersSchema,
    what: 'trust counters',
    recovery: recoveryHint(layout.dir),
  });

/** The trust changes a host makes, each recorded in its audit log before the counters file is written. */
export const TrustChangeSchema = CountersSchema.omit({ reportSeq: true, auditSeq: true });
export type TrustChange = z.infer<typeof TrustChangeSchema>;

/** The counters raised to at least the last trust change the audit log recorded: never lowered. */
export function raisedTo(file: Counters, logged: TrustChange): Counters {
  const max = (a: Record<string, number>, b: Record<string, number>) => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = Math.max(out[k] ?? 0, v);
    return out;
  };
  return {
    ...file,
    rootVersion: Math.max(file.rootVersion, logged.rootVersion),
    channels: max(file.channels, logged.channels),
    floors: max(file.floors, logged.floors),
    highWaterMs: Math.max(file.highWaterMs, logged.highWaterMs),
    // Spent authorisations are remembered until they expire, when they are void anyway.
    usedAuthorisations: max(file.usedAuthorisations, Object.fromEntries(Object.entries(logged.usedAuthorisations).filter(([, expires]) => expires > Date.now()))),
    auditHead: newerHead(file.auditHead, logged.auditHead),
  };
}

/**
 * Where a counters file is lower than the last trust change its audit log recorded: a file restored
 * from a backup or edited. Null when it is at least what the log says.
 */
export function countersBehind(file: TrustChange, logged: TrustChange): string | null {
  for (const [channel, seq] of Object.entries(logged.channels)) if ((file.channels[channel] ?? 0) < seq) return `channel ${channel} is at #${file.channels[channel] ?? 0} in the file and #${seq} in the log`;
  for (const [slot, floor] of Object.entries(logged.floors)) if ((file.floors[slot] ?? 0) < floor) return `the floor of slot ${slot} is ${file.floors[slot] ?? 0} in the file and ${floor} in the log`;
  if (file.highWaterMs < logged.highWaterMs) return 'the signed-time mark is lower in the file than in the log';
  if (file.rootVersion < logged.rootVersion) return `the root version is ${file.rootVersion} in the file and ${logged.rootVersion} in the log`;
  for (const id of Object.keys(logged.usedAuthorisations)) if (file.usedAuthorisations[id] === undefined && logged.usedAuthorisations[id]! > Date.now()) return `the used authorisation ${id} is missing from the file`;
  return null;
}

/**
 * The counters, held in memory by the one process that owns the state directory. The rules live here
 * and only here: floors, sequences, the signed-time mark and the root version only rise; an
 * authorisation is spent once. Trust changes are written to the audit log first (`record`), so that
 * `airlock-agent recover` can rebuild the file from the log; saves are serialized.
 */
export class CountersStore {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: StateFile<Counters>,
    private readonly current: Counters,
    private readonly record: (change: TrustChange) => Promise<{ seq: number }>,
  ) {}

  get value(): Readonly<Counters> {
    return this.current;
  }

  /** A bundle verified: its signed time and the registry audit head it carries. */
  bundleVerified(issuedAtMs: number, auditHead: AuditHead | null | undefined): Promise<void> {
    return this.trust((c) => {
      c.highWaterMs = Math.max(c.highWaterMs, issuedAtMs);
      c.auditHead = newerHead(c.auditHead, auditHead);
    });
  }

  /** A bundle's installs ran (applied or rolled back): its sequence is spent. An interrupted install spends nothing. */
  bundleTaken(channel: string, sequence: number): Promise<void> {
    return this.trust((c) => (c.channels[channel] = Math.max(c.channels[channel] ?? 0, sequence)));
  }

  raiseFloor(slot: string, floor: number): Promise<void> {
    if (floor <= (this.current.floors[slot] ?? 0)) return this.chain;
    return this.trust((c) => (c.floors[slot] = floor));
  }

  rootAdopted(version: number): Promise<void> {
    if (version <= this.current.rootVersion) return this.chain;
    return this.trust((c) => (c.rootVersion = version));
  }

  /** Spends a rollback authorisation: refused if already spent; expired ones are forgotten. */
  spendAuthorisation(id: string, expiresAtMs: number, issuedAtMs: number, nowMs: number): Promise<void> {
    if (this.current.usedAuthorisations[id] !== undefined) throw new AirlockError('AUTHORISATION_USED', `Rollback authorisation ${id} was already used on this host.`);
    return this.trust((c) => {
      for (const [used, expires] of Object.entries(c.usedAuthorisations)) if (expires <= nowMs) delete c.usedAuthorisations[used];
      c.usedAuthorisations[id] = expiresAtMs;
      c.highWaterMs = Math.max(c.highWaterMs, issuedAtMs);
    });
  }

  /** The next report sequence, persisted before it is used so that no two reports share one. */
  async nextReportSeq(): Promise<number> {
    let seq = 0;
    await this.save((c) => (seq = c.reportSeq += 1));
    return seq;
  }

  private trust(change: (c: Counters) => void): Promise<void> {
    return this.save(change, true);
  }

  private save(change: (c: Counters) => void, isTrust = false): Promise<void> {
    change(this.current);
    const next = this.chain.then(async () => {
      if (isTrust) {
        const { reportSeq: _r, auditSeq: _a, ...trust } = this.current;
        this.current.auditSeq = (await this.record(structuredClone(trust))).seq;
      }
      await this.file.write(structuredClone(this.current));
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
