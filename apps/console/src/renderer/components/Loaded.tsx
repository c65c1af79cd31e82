import type { ReactNode } from 'react';
import type { Answer } from '../../api/envelope.js';
import { Problem } from './Problem.js';

/** A query's answer: loading, its refusal, or what `children` makes of the result. */
export function Loaded<T>({ answer, children }: { answer: Answer<T> | null; children: (result: T) => ReactNode }) {
  if (!answer) return <p className="status" role="status">Loading…</p>;
  if (!answer.ok) return <Problem error={answer.error} />;
  return <>{children(answer.result)}</>;
}
