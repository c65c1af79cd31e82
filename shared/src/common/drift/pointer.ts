/**
 * JSON pointers (RFC 6901), parsed once per feature so that reading one from each tapped body is a
 * walk down a few keys. Only own properties are read: "/__proto__" finds nothing.
 */
export type Pointer = readonly string[];

export function parsePointer(pointer: string): Pointer {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function resolvePointer(doc: unknown, pointer: Pointer): unknown {
  let at = doc;
  for (const token of pointer) {
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
      at = at[Number(token)];
    } else if (at !== null && typeof at === 'object' && Object.hasOwn(at, token)) {
      at = (at as Record<string, unknown>)[token];
    } else {
      return undefined;
    }
  }
  return at;
}
