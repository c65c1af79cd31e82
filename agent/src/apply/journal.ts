import { z } from 'zod';
import { StateFile } from '../state/state-file.js';

export const JOURNAL_STEPS = ['verified', 'staged', 'switched', 'probation', 'committed', 'rolled_back'] as const;
export type JournalStep = (typeof JOURNAL_STEPS)[number];

const JournalSchema = z.strictObject({
  step: z.enum(JOURNAL_STEPS),
  release: z.string(),
  previous: z.string().nullable(),
  bundleId: z.string(),
  at: z.string(),
});
export type JournalEntry = z.infer<typeof JournalSchema>;
export type Install = Omit<JournalEntry, 'step' | 'at'>;

/**
 * A slot's install journal: every step is written before it is taken, so that a restart can finish or
 * undo whatever was in flight. `onStep` is the crash tests' hook (kill the agent right after a step).
 */
export class Journal {
  private readonly file: StateFile<JournalEntry | null>;

  constructor(
    path: string,
    slot: string,
    private readonly onStep?: (step: JournalStep) => Promise<void> | void,
  ) {
    this.file = new StateFile({
      path,
      schema: JournalSchema.nullable(),
      what: `install journal of slot ${slot}`,
      ifMissing: () => null,
      recovery: 'It records which install was in flight; if the release named by `current` is complete, delete the file and start the agent.',
    });
  }

  read(): Promise<JournalEntry | null> {
    return this.file.read();
  }

  async step(step: JournalStep, install: Install): Promise<void> {
    await this.file.write({ ...install, step, at: new Date().toISOString() });
    await this.onStep?.(step);
  }
}

/** An install the journal shows was interrupted before it was committed or undone. */
export const interrupted = (j: JournalEntry | null): j is JournalEntry => j !== null && j.step !== 'committed' && j.step !== 'rolled_back';
