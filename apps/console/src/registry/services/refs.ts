import { AirlockError } from '@airlock/shared/common';
import type { Registry } from '../context.js';
import { versions, type VersionView } from '../repos/versions.js';

export interface VersionRef {
  model: string;
  number?: number;
}

/** "NAME" (the latest version) or "NAME@N". */
export function parseVersionRef(text: string): VersionRef {
  const m = /^([a-z0-9][a-z0-9._-]{0,62})(?:@([1-9][0-9]*))?$/.exec(text);
  if (!m) throw new AirlockError('USAGE', `"${text}" is not a version reference: write NAME or NAME@N.`);
  return m[2] ? { model: m[1]!, number: Number(m[2]) } : { model: m[1]! };
}

export function resolveVersion(reg: Registry, ref: VersionRef | string): VersionView {
  const r = typeof ref === 'string' ? parseVersionRef(ref) : ref;
  const v = r.number === undefined ? versions.latest(reg.db, r.model) : versions.byNumber(reg.db, r.model, r.number);
  if (!v) throw new AirlockError('NOT_FOUND', r.number === undefined ? `Model "${r.model}" has no versions.` : `${r.model}@${r.number} does not exist.`);
  return v;
}

export const refOf = (v: { model: string; number: number }) => `${v.model}@${v.number}`;
