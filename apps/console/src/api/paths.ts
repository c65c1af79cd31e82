import { z } from 'zod';
import { CONTRACT, type CallName } from './contract.js';
import { SourcePath, TargetPath } from './dto.js';

export type PathRole = 'source' | 'target';
export interface PathField {
  field: string;
  role: PathRole;
  /** the field holds a list of paths */
  many: boolean;
}

function roleOf(schema: z.ZodType): { role: PathRole; many: boolean } | null {
  let s = schema;
  let many = false;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodArray && !many) {
      many = true;
      s = s.element as z.ZodType;
    } else break;
  }
  if (s === SourcePath) return { role: 'source', many };
  if (s === TargetPath) return { role: 'target', many };
  return null;
}

/** The fields of a call's input that name paths on the registry's machine, read off the contract's schemas. */
export function pathFields(name: CallName): PathField[] {
  const input = CONTRACT[name].input;
  if (!(input instanceof z.ZodObject)) return [];
  return Object.entries(input.shape as Record<string, z.ZodType>).flatMap(([field, schema]) => {
    const r = roleOf(schema);
    return r ? [{ field, ...r }] : [];
  });
}

/** Every path a (parsed or raw) input names, with what the call does with it. */
export function pathsIn(name: CallName, input: unknown): { field: string; role: PathRole; path: string }[] {
  if (typeof input !== 'object' || input === null) return [];
  const record = input as Record<string, unknown>;
  return pathFields(name).flatMap(({ field, role, many }) => {
    const value = record[field];
    const values = many ? (Array.isArray(value) ? value : []) : [value];
    return values.filter((v): v is string => typeof v === 'string').map((path) => ({ field, role, path }));
  });
}
