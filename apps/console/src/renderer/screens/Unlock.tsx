import { useState, type FormEvent } from 'react';
import type { ErrorData } from '@airlock/shared/common';
import { call } from '../api.js';
import { Problem } from '../components/Problem.js';
import { useSessions } from '../session.js';

/** Unlocks a person's key in the registry process; the passphrase goes there once and is not kept here. */
export function Unlock() {
  const { add, sessions } = useSessions();
  const [error, setError] = useState<ErrorData | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    setBusy(true);
    const answer = await call('session.unlock', { user: String(data.get('user')), passphrase: String(data.get('passphrase')) });
    setBusy(false);
    (form.elements.namedItem('passphrase') as HTMLInputElement).value = '';
    if (answer.ok) add(answer.result);
    else setError(answer.error);
  };

  return (
    <form className="unlock" onSubmit={(e) => void submit(e)} aria-labelledby="unlock-title">
      <h2 id="unlock-title">Unlock</h2>
      {sessions.length > 0 && <p>Unlock another person beside {sessions.map((s) => s.user).join(', ')}: an approval needs someone other than the requester.</p>}
      <label className="field">
        User <input name="user" autoComplete="username" required autoFocus />
      </label>
      <label className="field">
        Passphrase <input name="passphrase" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Unlocking…' : 'Unlock'}
      </button>
      {error && <Problem error={error} />}
    </form>
  );
}
