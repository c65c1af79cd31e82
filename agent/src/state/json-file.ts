import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { AirlockError } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';

/** A small state file: read and validated with its schema, written temp → fsync → rename. */
export class JsonFile<T> {
  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly fallback: () => T,
  ) {}

  async read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.fallback();
      throw err;
    }
    const parsed = this.schema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new AirlockError('INTERNAL', `State file ${this.path} is damaged: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  write(value: T): Promise<void> {
    return writeFileAtomic(this.path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  }
}
