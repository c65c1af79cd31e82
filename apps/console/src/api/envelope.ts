import type { ErrorData } from '@airlock/shared/common';

/** What every call answers, over every transport: the result, or the error as data. */
export type Answer<T> = { ok: true; result: T } | { ok: false; error: ErrorData };
