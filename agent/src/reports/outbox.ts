import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { REPORT_PAYLOAD_TYPE, REPORT_SCHEMA, ReportSchema, signEnvelope, toTimestamp, utf8Encode, type Report, type Signer } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import { StateFile } from '../state/state-file.js';
import type { StateLayout } from '../state/layout.js';
import type { CountersStore } from '../state/counters.js';

type Body<K extends Report['kind']> = Extract<Report, { kind: K }>['body'];

/** Signed reports wait in the outbox until exported to media. */
export class Outbox {
  private readonly exported: StateFile<{ names: string[] }>;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly layout: StateLayout,
    private readonly hostId: string,
    private readonly signer: Signer,
    private readonly counters: CountersStore,
  ) {
    // Rebuildable: losing it re-exports reports the registry already has, which it recognises by sequence.
    this.exported = new StateFile({ path: layout.exported, schema: z.strictObject({ names: z.array(z.string()) }), what: 'exported-reports list', ifMissing: () => ({ names: [] }), rebuildable: true });
  }

  /** Writes one report; reports are numbered per host so the console can tell duplicates and gaps. */
  write<K extends Report['kind']>(kind: K, body: Body<K>): Promise<string> {
    const next = this.chain.then(async () => {
      const seq = await this.counters.nextReportSeq();
      const report = ReportSchema.parse({ schema: REPORT_SCHEMA, kind, hostId: this.hostId, seq, at: toTimestamp(), body });
      const envelope = signEnvelope(REPORT_PAYLOAD_TYPE, utf8Encode(JSON.stringify(report)), [this.signer]);
      await mkdir(this.layout.outbox, { recursive: true });
      const name = `${this.hostId}-${String(seq).padStart(8, '0')}-${kind}.json`;
      await writeFileAtomic(join(this.layout.outbox, name), `${JSON.stringify(envelope)}\n`, { mode: 0o644 });
      return name;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Copies every report not exported yet to `dir`, then remembers them as exported. */
  async exportTo(dir: string): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    const done = new Set((await this.exported.read()).names);
    const names = (await readdir(this.layout.outbox).catch(() => [] as string[])).filter((n) => n.endsWith('.json') && !done.has(n)).sort();
    for (const n of names) await copyFile(join(this.layout.outbox, n), join(dir, n));
    await this.exported.write({ names: [...done, ...names] });
    return names;
  }
}
