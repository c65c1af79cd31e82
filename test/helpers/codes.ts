import { isAirlockError, type ErrorCode } from '@airlock/shared/common';

/** Runs `fn` and returns 'ok' or the AirlockError code it threw; anything else is rethrown. */
export function codeOf(fn: () => unknown): ErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (isAirlockError(err)) return err.code;
    throw err;
  }
}
