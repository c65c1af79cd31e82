import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { AirlockError } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';

export interface StateFileSpec<T> {
  path: string;
  schema: z.ZodType<T>;
  /** what the file holds, for the error an operator reads: "trust counters", "install journal of slot main" */
  what: string;
  /** the value when the file does not exist yet; without it a missing file is damage */
  ifMissing?: () => T;
  /** a cache that can be rebuilt: damage yields `ifMissing()` instead of an error */
  rebuildable?: boolean;
  /** the sentence telling the operator how to recover, appended to the error */
  recovery?: string;
}

/**
 * The one reader and writer of the agent's JSON state files: schema-checked on read, written
 * temp → fsync → rename. Damage is STATE_DAMAGED naming the file and the way back, never a bare
 * JSON error and never a silent default (unless the file is a cache).
 */
export class StateFile<T> {
  constructor(private readonly spec: StateFileSpec<T>) {}

  get path(): string {
    return this.spec.path;
  }

  async read(): Promise<T> {
    const { path, what, ifMissing, rebuildable, recovery } = this.spec;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && ifMissing) return ifMissing();
      throw new AirlockError('STATE_DAMAGED', `The ${what} file ${path} ${code === 'ENOENT' ? 'is missing' : `cannot be read (${code})`}.${recovery ? ` ${recovery}` : ''}`);
    }
    const problem = this.problemWith(text);
    if (!problem.ok) {
      if (rebuildable && ifMissing) return ifMissing();
      throw new AirlockError('STATE_DAMAGED', `The ${what} file ${path} is damaged: ${problem.reason}.${recovery ? ` ${recovery}` : ''}`);
    }
    return problem.value;
  }

  private problemWith(text: string): { ok: true; value: T } | { ok: false; reason: string } {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: text.trim() === '' ? 'it is empty' : `it is not JSON (${(err as Error).message})` };
    }
    const parsed = this.spec.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, reason: `${issue?.path.join('.') || 'the document'}: ${issue?.message}` };
    }
    return { ok: true, value: parsed.data };
  }

  write(value: T): Promise<void> {
    return writeFileAtomic(this.spec.path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  }
}
