import type { Progress } from '../api/call.js';
import type { CallName, Input, Output } from '../api/contract.js';
import type { Answer } from '../api/envelope.js';
import { transport } from './transport.js';

/**
 * The renderer's one way to the registry: a typed call of the contract, as a session, with progress
 * for jobs and cancel through an AbortSignal. Errors come back as data, never thrown.
 */
export async function call<N extends CallName>(
  name: N,
  input: Input<N>,
  opts: { session?: string; onProgress?: (p: Progress) => void; signal?: AbortSignal } = {},
): Promise<Answer<Output<N>>> {
  // Random, so two tabs or a reloaded page never share an id (and never cancel each other's jobs).
  const callId = crypto.randomUUID();
  const unsubscribe = opts.onProgress ? transport.subscribe((e) => e.call === callId && opts.onProgress!(e.progress)) : undefined;
  const cancel = () => transport.cancel(callId);
  opts.signal?.addEventListener('abort', cancel, { once: true });
  try {
    return (await transport.call(name, input, { ...(opts.session ? { session: opts.session } : {}), callId })) as Answer<Output<N>>;
  } finally {
    unsubscribe?.();
    opts.signal?.removeEventListener('abort', cancel);
  }
}
