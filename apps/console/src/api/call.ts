import type { z } from 'zod';
import type { Permission } from './permissions.js';

/**
 * query: reads, answered at once; command: one audited change; job: long work (imports, exports,
 * verification) that streams progress and can be cancelled.
 */
export type CallKind = 'query' | 'command' | 'job';

export interface CallSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  kind: CallKind;
  /** one line for help texts and the contract's own documentation */
  summary: string;
  /** what the caller's roles must allow before anything runs; null: any signed-in user (reads) */
  permission: Permission | null;
  /** false only for the calls that open a session */
  session: boolean;
  input: I;
  output: O;
}

const spec =
  (kind: CallKind) =>
  <I extends z.ZodType, O extends z.ZodType>(summary: string, permission: Permission | null, input: I, output: O): CallSpec<I, O> => ({ kind, summary, permission, session: true, input, output });

export const query = spec('query');
export const command = spec('command');
export const job = spec('job');

/** Progress of a job: `unit` says what `done` and `total` count; total 0 while unknown. */
export interface Progress {
  phase: string;
  done: number;
  total: number;
  unit: 'bytes' | 'items' | 'events';
}
