import { SingleBar } from 'cli-progress';
import type { ErrorData } from '@airlock/shared/common';
import { describeFailure } from '@airlock/shared/node';

/** How a command reports: human text, or one JSON document on stdout for scripts. */
export class Output {
  constructor(readonly json: boolean) {}

  result(data: unknown, human: () => string): void {
    process.stdout.write(this.json ? `${JSON.stringify({ ok: true, result: data }, null, 2)}\n` : `${human()}\n`);
  }

  /**
   * A call that did its work but was refused what it asked for (gates failed, files rejected): the
   * result on stdout, the refusal on stderr (or both in one `ok: false` document), and exit 1.
   */
  refused(data: unknown, refusal: ErrorData, human: () => string): number {
    if (this.json) process.stdout.write(`${JSON.stringify({ ok: false, result: data, error: refusal }, null, 2)}\n`);
    else {
      process.stdout.write(`${human()}\n`);
      process.stderr.write(`error ${refusal.code}: ${refusal.message}\n`);
    }
    return 1;
  }

  /** Prints the error with its code and returns the exit code: 2 for usage, 130 when cancelled, 1 for everything else. */
  error(err: unknown): number {
    const data: ErrorData = describeFailure(err);
    if (this.json) process.stdout.write(`${JSON.stringify({ ok: false, error: data }, null, 2)}\n`);
    else process.stderr.write(`error ${data.code}: ${data.message}\n`);
    return data.code === 'USAGE' ? 2 : data.code === 'CANCELLED' ? 130 : 1;
  }

  /** A progress bar on stderr when a person is watching; a no-op for scripts and pipes. */
  progress(label: string): { update(done: number, total: number, unit: 'bytes' | 'items'): void; stop(): void } {
    if (this.json || !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
    const bar = new SingleBar({
      stream: process.stderr,
      format: `${label.padEnd(8)} {bar} {percentage}% | {done}/{size} | {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
    });
    let started = false;
    return {
      update(done, total, unit) {
        const show = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(n));
        if (!started) {
          bar.start(total, 0, { done: show(0), size: show(total) });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { done: show(done), size: show(total) });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
}

/** A column's header in one style whatever the field's own: `createdAt` and `activated_at` both read CREATED AT. */
const header = (column: string) => column.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();

/** Left-aligned columns for terminal output. */
export function table(items: readonly object[], columns: string[]): string {
  const rows = items as readonly Record<string, unknown>[];
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = columns.map((c) => Math.max(header(c).length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map(header)), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/** Sizes as people read them: bytes up to 1 KiB, then KiB, MiB, GiB with one decimal. */
export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** "1 version", "2 versions": counts as people write them. */
export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;
