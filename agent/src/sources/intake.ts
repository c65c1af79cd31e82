import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { isAirlockError } from '@airlock/shared/common';
import type { Logger } from '../log.js';
import { StateFile } from '../state/state-file.js';
import { bundleShape } from './bundle-shape.js';

const SeenSchema = z.strictObject({ files: z.array(z.string()) });

/** With `holdTruncated`, a bundle found cut short is not refused: the apply throws BUNDLE_TRUNCATED instead. */
export type IntakeApply = (path: string, opts: { holdTruncated: boolean }) => Promise<unknown>;

/**
 * Where files from watched folders and mirrors enter: each exact file (path, size, mtime) is handed to
 * `apply` once, and remembered across restarts so that a folder full of old bundles is not re-applied.
 * A file that starts as a bundle does but looks cut short (no end-of-archive marker, or verification
 * finds it truncated) may still be being copied: it is held, tried again when it changes, and refused
 * only after it has stayed unchanged for `settleMs`. Anything else is tried at once.
 */
export class Intake {
  private readonly seen: StateFile<{ files: string[] }>;
  private files = new Set<string>();
  private readonly busy = new Set<string>();
  /** files held as incomplete, by path: the exact version held and the timer that declares it settled */
  private readonly held = new Map<string, { key: string; settled: boolean; timer: NodeJS.Timeout }>();

  constructor(
    seenPath: string,
    private readonly apply: IntakeApply,
    private readonly log: Logger,
    private readonly settleMs: number,
  ) {
    // A cache: damage only means old files may be offered again, and the counters refuse replays anyway.
    this.seen = new StateFile({ path: seenPath, schema: SeenSchema, what: 'seen-files cache', ifMissing: () => ({ files: [] }), rebuildable: true });
  }

  async load(): Promise<void> {
    this.files = new Set((await this.seen.read()).files);
  }

  /** A file appeared or changed in a source: apply it unless this exact file was already dealt with. */
  async offer(path: string): Promise<void> {
    const s = await stat(path).catch(() => null);
    const key = s?.isFile() ? `${path}:${s.size}:${s.mtimeMs}` : null;
    const held = this.held.get(path);
    // A held file that changed or went away is judged afresh.
    if (held && held.key !== key) this.release(path);
    if (!s || !key || this.files.has(key) || this.busy.has(key)) return;
    const settled = held?.key === key && held.settled;
    if (held?.key === key && !settled) return;
    this.busy.add(key);
    let cutShort: string | null = null;
    try {
      const shape = await bundleShape(path, s.size);
      const mayGrow = !settled && shape.startsLikeBundle;
      if (mayGrow && !shape.endsWithEndMarker) cutShort = 'no end-of-archive marker yet';
      else await this.apply(path, { holdTruncated: mayGrow });
    } catch (err) {
      if (isAirlockError(err, 'BUNDLE_TRUNCATED')) cutShort = err.message;
      else this.log('error', 'apply failed', { path, error: String(err) });
    } finally {
      this.busy.delete(key);
    }
    if (cutShort !== null) return this.hold(path, key, s.size, cutShort);
    this.release(path);
    this.files.add(key);
    // Offers run detached from the watcher: a full disk is logged here, never left to reject unhandled.
    await this.seen.write({ files: [...this.files].slice(-1000) }).catch((err: unknown) => this.log('warn', 'seen-files cache not written', { error: String(err) }));
  }

  private hold(path: string, key: string, size: number, reason: string): void {
    const timer = setTimeout(() => {
      entry.settled = true;
      void this.offer(path);
    }, this.settleMs);
    timer.unref();
    const entry = { key, settled: false, timer };
    this.held.set(path, entry);
    this.log('info', 'bundle incomplete, waiting for it to settle', { path, size, reason, settleMs: this.settleMs });
  }

  private release(path: string): void {
    clearTimeout(this.held.get(path)?.timer);
    this.held.delete(path);
  }
}
