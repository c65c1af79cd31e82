import { useState, type FormEvent, type ReactNode } from 'react';
import type { ErrorData } from '@airlock/shared/common';
import type { Progress } from '../../api/call.js';
import { CONTRACT, type CallName, type Input, type Output } from '../../api/contract.js';
import { describeIssues } from '../../api/issues.js';
import { mayPerform, PERMISSIONS } from '../../api/permissions.js';
import { useJobs } from '../jobs.js';
import { useSessions } from '../session.js';
import { useCaller } from '../use-call.js';
import { Problem } from './Problem.js';
import { ProgressBar } from './ProgressBar.js';

/**
 * A form that makes one call: its input is checked against the call's own schema before anything is
 * sent, a job shows its progress and can be cancelled, a refusal is shown with its code, and the form
 * keeps what was typed whatever happens.
 */
export function Action<N extends CallName>({
  name,
  label,
  input,
  children,
  onDone,
  describe,
}: {
  name: N;
  label: string;
  /** the call's input from the form's fields, or an error to show instead of sending */
  input: (form: FormData) => Input<N> | ErrorData;
  children?: ReactNode;
  onDone?: (result: Output<N>) => void;
  describe?: (result: Output<N>) => ReactNode;
}) {
  const caller = useCaller();
  const [error, setError] = useState<ErrorData | null>(null);
  const [result, setResult] = useState<Output<N> | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [running, setRunning] = useState<AbortController | null>(null);
  const job = CONTRACT[name].kind === 'job';
  const { active } = useSessions();
  const jobs = useJobs();
  const permission = CONTRACT[name].permission;
  // The registry decides; the page only spares people a form that can only be refused, and says why.
  const refusedRole = permission && active && !mayPerform(active.roles, permission) ? PERMISSIONS[permission].join(' or ') : null;

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const made = input(new FormData(e.currentTarget));
    if (typeof made === 'object' && made !== null && 'code' in made && 'message' in made) return setError(made as ErrorData);
    const checked = CONTRACT[name].input.safeParse(made);
    if (!checked.success) return setError({ code: 'INVALID_INPUT', message: describeIssues(checked.error) });
    const abort = new AbortController();
    setRunning(abort);
    setProgress(null);
    const tracked = job ? jobs.start(label, () => abort.abort()) : undefined;
    const answer = await caller(name, made as Input<N>, { signal: abort.signal, onProgress: (p) => (setProgress(p), tracked?.progress(p)) });
    tracked?.end();
    setRunning(null);
    if (!answer.ok) return setError(answer.error);
    setResult(answer.result);
    onDone?.(answer.result);
  };

  return (
    <form className="action" onSubmit={(e) => void submit(e)} aria-label={label}>
      {refusedRole && (
        <p className="note" role="note">
          {label} needs the role {refusedRole}; {active!.user} is {active!.roles.join(', ')}.
        </p>
      )}
      <fieldset className="plain" disabled={refusedRole !== null}>
        {children}
      </fieldset>
      <div className="buttons">
        <button type="submit" disabled={running !== null || refusedRole !== null}>
          {label}
        </button>
        {job && running && (
          <button type="button" onClick={() => running.abort()}>
            Cancel
          </button>
        )}
      </div>
      {job && running && <ProgressBar progress={progress} label={label} />}
      {error && <Problem error={error} />}
      {result !== null && describe && (
        <div role="status" className="done">
          {describe(result)}
        </div>
      )}
    </form>
  );
}

/** A form field's text, trimmed. */
export const field = (form: FormData, name: string) => String(form.get(name) ?? '').trim();
