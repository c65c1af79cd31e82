import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AirlockError, AuditHeadSchema, type Envelope, type Root } from '@airlock/shared/common';
import { readRootFile, writeFileAtomic } from '@airlock/shared/node';
import { JsonFile } from './json-file.js';
import type { StateLayout } from './layout.js';

/**
 * What the agent must never forget: per-channel sequences, per-slot floors, the highest signed time,
 * and the rollback authorisations it used (id → expiry; forgotten once expired, when they are void anyway).
 */
export const CountersSchema = z.strictObject({
  channels: z.record(z.string(), z.int()).default({}),
  floors: z.record(z.string(), z.int()).default({}),
  highWaterMs: z.number().default(0),
  reportSeq: z.int().default(0),
  usedAuthorisations: z.record(z.string(), z.number()).default({}),
  /** the newest registry audit head seen in a verified bundle, sent back in status reports */
  auditHead: AuditHeadSchema.nullable().default(null),
});
export type Counters = z.infer<typeof CountersSchema>;

/** The counters, held in memory by the one process that owns the state directory; saves are serialized. */
export class CountersStore {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: JsonFile<Counters>,
    readonly value: Counters,
  ) {}

  static async open(layout: StateLayout): Promise<CountersStore> {
    const file = new JsonFile(layout.counters, CountersSchema, () => CountersSchema.parse({}));
    return new CountersStore(file, await file.read());
  }

  /** Applies `change` and persists the result before resolving. */
  update(change: (c: Counters) => void): Promise<void> {
    change(this.value);
    const snapshot = structuredClone(this.value);
    this.chain = this.chain.then(() => this.file.write(snapshot));
    return this.chain;
  }
}

const ROOT_FILE = /^([1-9][0-9]*)\.root\.json$/;

/** The newest trusted root (the chain is walked forward and each step persisted). */
export async function currentRoot(layout: StateLayout): Promise<Root> {
  const names = (await readdir(layout.roots).catch(() => [] as string[])).filter((n) => ROOT_FILE.test(n));
  const newest = names.map((n) => Number(ROOT_FILE.exec(n)![1])).sort((a, b) => b - a)[0];
  if (newest === undefined) throw new AirlockError('NOT_FOUND', `No trusted root in ${layout.roots}: run \`airlock-agent init\`.`);
  return (await readRootFile(join(layout.roots, `${newest}.root.json`))).root;
}

export async function persistRoot(layout: StateLayout, root: Root, envelope: Envelope): Promise<void> {
  await mkdir(layout.roots, { recursive: true });
  await writeFileAtomic(join(layout.roots, `${root.version}.root.json`), `${JSON.stringify(envelope)}\n`, { mode: 0o644 });
}
