import { useState, type FormEvent } from 'react';
import type { ErrorData } from '@airlock/shared/common';
import { call } from './api.js';
import type { Session } from './App.js';
import { Problem } from './Problem.js';

/** Unlocks a person's key in the registry process; the passphrase goes there once and is not kept here. */
export function Unlock({ onUnlocked }: { onUnlocked: (s: Session) => void }) {
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
    if (answer.ok) onUnlocked(answer.result);
    else setError(answer.error);
  };

  return (
    <form className="unlock" onSubmit={(e) => void submit(e)}>
      <h2>Unlock</h2>
      <label>
        User <input name="user" autoComplete="username" required />
      </label>
      <label>
        Passphrase <input name="passphrase" type="password" autoComplete="current-password" required />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Unlocking…' : 'Unlock'}
      </button>
      {error && <Problem error={error} />}
    </form>
  );
}
