/**
 * The only way SQL is written in the registry: values become `?` parameters, never text.
 * Fragments nest: sql`a ${sql`b = ${x}`}` keeps x a parameter.
 */
export interface Sql {
  readonly text: string;
  readonly values: readonly SqlValue[];
}

export type SqlValue = string | number | bigint | Uint8Array | null;

const SQL = Symbol('sql');
type Fragment = Sql & { [SQL]: true };

const isFragment = (v: unknown): v is Fragment => typeof v === 'object' && v !== null && SQL in v;

export function sql(strings: TemplateStringsArray, ...values: (SqlValue | Sql | boolean | undefined)[]): Sql {
  let text = strings[0]!;
  const params: SqlValue[] = [];
  values.forEach((v, i) => {
    if (isFragment(v)) {
      text += v.text;
      params.push(...v.values);
    } else {
      text += '?';
      params.push(v === undefined ? null : typeof v === 'boolean' ? (v ? 1 : 0) : (v as SqlValue));
    }
    text += strings[i + 1]!;
  });
  return { text, values: params, [SQL]: true } as Fragment;
}

/** Joins fragments with a separator (e.g. for optional WHERE clauses). */
export function join(parts: readonly Sql[], separator: string): Sql {
  const out = parts.reduce<{ text: string[]; values: SqlValue[] }>(
    (acc, p) => ({ text: [...acc.text, p.text], values: [...acc.values, ...p.values] }),
    { text: [], values: [] },
  );
  return { text: out.text.join(separator), values: out.values, [SQL]: true } as Fragment;
}

/** Trusted SQL text with no values, for identifiers the code itself chose (never user input). */
export const raw = (text: string): Sql => ({ text, values: [], [SQL]: true }) as Fragment;
