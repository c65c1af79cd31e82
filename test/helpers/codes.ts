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

/** The same for async work: 'ok' or the AirlockError code the promise rejected with. */
export async function codeOfAsync(fn: () => unknown): Promise<ErrorCode | 'ok'> {
  try {
    await fn();
    return 'ok';
  } catch (err) {
    if (isAirlockError(err)) return err.code;
    throw err;
  }
}
