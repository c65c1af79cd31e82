import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { StateFile } from '../state/state-file.js';

const SeenSchema = z.strictObject({ files: z.array(z.string()) });

/**
 * Where files from watched folders and mirrors enter: each exact file (path, size, mtime) is handed to
 * `apply` once, and remembered across restarts so that a folder full of old bundles is not re-applied.
 */
export class Intake {
  private readonly seen: StateFile<{ files: string[] }>;
  private files = new Set<string>();

  constructor(
    seenPath: string,
    private readonly apply: (path: string) => Promise<unknown>,
    private readonly log: Logger,
  ) {
    // A cache: damage only means old files may be offered again, and the counters refuse replays anyway.
    this.seen = new StateFile({ path: seenPath, schema: SeenSchema, what: 'seen-files cache', ifMissing: () => ({ files: [] }), rebuildable: true });
  }

  async load(): Promise<void> {
    this.files = new Set((await this.seen.read()).files);
  }

  /** A file appeared in a source: apply it unless this exact file was already dealt with. */
  async offer(path: string): Promise<void> {
    const s = await stat(path).catch(() => null);
    if (!s) return;
    const key = `${path}:${s.size}:${s.mtimeMs}`;
    if (this.files.has(key)) return;
    this.files.add(key);
    await this.apply(path).catch((err) => this.log('error', 'apply failed', { path, error: String(err) }));
    await this.seen.write({ files: [...this.files].slice(-1000) });
  }
}
