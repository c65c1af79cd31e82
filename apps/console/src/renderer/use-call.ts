import { useCallback, useEffect, useRef, useState } from 'react';
import type { Progress } from '../api/call.js';
import type { CallName, Input, Output } from '../api/contract.js';
import type { Answer } from '../api/envelope.js';
import { call } from './api.js';
import { useSessions } from './session.js';

/** A call as the acting session; a session the registry locked is marked, so the page asks to unlock again over the screen. */
export function useCaller() {
  const { active, markLocked } = useSessions();
  return useCallback(
    async <N extends CallName>(name: N, input: Input<N>, opts: { onProgress?: (p: Progress) => void; signal?: AbortSignal } = {}): Promise<Answer<Output<N>>> => {
      const answer = await call(name, input, { ...opts, ...(active ? { session: active.session } : {}) });
      if (!answer.ok && answer.error.code === 'SESSION_LOCKED' && active) markLocked(active.session);
      return answer;
    },
    [active, markLocked],
  );
}

/** A query's answer, fetched again when `key` changes or on `reload()`; a stale answer is never shown over a newer one. */
export function useQuery<N extends CallName>(name: N, input: Input<N>, key: unknown[] = []): { answer: Answer<Output<N>> | null; reload: () => void } {
  const caller = useCaller();
  const [answer, setAnswer] = useState<Answer<Output<N>> | null>(null);
  const [tick, setTick] = useState(0);
  const inputRef = useRef(input);
  inputRef.current = input;
  const keyText = JSON.stringify(key);
  // Another subject (a new id in the URL): the old answer is not shown for it while the new one loads.
  useEffect(() => setAnswer(null), [name, keyText]);
  useEffect(() => {
    let live = true;
    void caller(name, inputRef.current).then((a) => live && setAnswer(a));
    return () => {
      live = false;
    };
  }, [caller, name, tick, keyText]);
  return { answer, reload: useCallback(() => setTick((t) => t + 1), []) };
}
