import { useState, type FormEvent } from 'react';
import type { ErrorData } from '@airlock/shared/common';
import { call } from '../api.js';
import { Problem } from '../components/Problem.js';
import { useSessions, type Session } from '../session.js';

/**
 * Shown over the screen when the registry locked the acting session: the person unlocks again and
 * goes on where they were; the screen below, and whatever was typed in it, stays.
 */
export function Relock({ session }: { session: Session }) {
  const { add } = useSessions();
  const [error, setError] = useState<ErrorData | null>(null);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const passphrase = (form.elements.namedItem('passphrase') as HTMLInputElement).value;
    const answer = await call('session.unlock', { user: session.user, passphrase });
    (form.elements.namedItem('passphrase') as HTMLInputElement).value = '';
    if (answer.ok) add(answer.result);
    else setError(answer.error);
  };
  return (
    <form className="relock" role="alertdialog" aria-labelledby="relock-title" onSubmit={(e) => void submit(e)}>
      <h2 id="relock-title">{session.user}'s session is locked</h2>
      <p>
        It locked after {session.idleMinutes} minutes without a call, or was locked elsewhere. Unlock again to go on: the screen below keeps what you typed; send it again once unlocked.
      </p>
      <label className="field">
        Passphrase of {session.user} <input name="passphrase" type="password" autoComplete="current-password" required autoFocus />
      </label>
      <button type="submit">Unlock again</button>
      {error && <Problem error={error} />}
    </form>
  );
}
