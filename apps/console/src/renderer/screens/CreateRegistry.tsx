import { useState, type FormEvent } from 'react';
import type { ErrorData } from '@airlock/shared/common';
import type { Output } from '../../api/contract.js';
import { call } from '../api.js';
import { Problem } from '../components/Problem.js';

/**
 * The console's first run, where its folder holds no registry yet: the first admin (who holds every
 * role and the root key) and the root of trust v1, as `airlock init` makes them.
 */
export function CreateRegistry({ onCreated }: { onCreated: () => void }) {
  const [error, setError] = useState<ErrorData | null>(null);
  const [created, setCreated] = useState<Output<'registry.init'> | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const passphrase = String(f.get('passphrase'));
    if (passphrase !== String(f.get('again'))) return setError({ code: 'INVALID_INPUT', message: 'The two passphrases differ; type the same one twice.' });
    setBusy(true);
    const answer = await call('registry.init', {
      admin: String(f.get('admin')).trim(),
      passphrase,
      rootThreshold: Number(f.get('threshold')),
      extraRootKeys: Number(f.get('extra')),
      rootExpiresDays: Number(f.get('days')),
    });
    setBusy(false);
    if (answer.ok) setCreated(answer.result);
    else setError(answer.error);
  };

  if (created)
    return (
      <section aria-labelledby="created-title" className="unlock">
        <h2 id="created-title">Registry created</h2>
        <p>
          {created.home}: admin {created.admin.name}, root of trust v1 ({created.root.rootThreshold} of {created.root.rootKeys} root keys, expires {created.root.expiresAt.slice(0, 10)}) at {created.root.path}. Hosts are installed with that file.
        </p>
        {created.extraKeyFiles.length > 0 && (
          <p className="note" role="note">
            Move the extra root keys to offline storage now: {created.extraKeyFiles.join(', ')}.
          </p>
        )}
        <button type="button" onClick={onCreated}>
          Continue to unlock
        </button>
      </section>
    );
  return (
    <form className="unlock" onSubmit={(e) => void submit(e)} aria-labelledby="create-title">
      <h2 id="create-title">Create the registry</h2>
      <p>There is no registry here yet. Its first person is its admin: they hold every role and the root key, and add everyone else.</p>
      <label className="field">
        Admin <input name="admin" autoComplete="username" required autoFocus />
      </label>
      <label className="field">
        Passphrase <input name="passphrase" type="password" autoComplete="new-password" required />
      </label>
      <label className="field">
        Passphrase again <input name="again" type="password" autoComplete="new-password" required />
      </label>
      <details>
        <summary>Root of trust</summary>
        <label className="field">
          Extra offline root keys <input name="extra" type="number" min={0} max={15} defaultValue={0} />
        </label>
        <label className="field">
          Root signatures needed to change the root <input name="threshold" type="number" min={1} max={16} defaultValue={1} />
        </label>
        <label className="field">
          Root valid for (days) <input name="days" type="number" min={1} max={3650} defaultValue={365} />
        </label>
      </details>
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create registry'}
      </button>
      {error && <Problem error={error} />}
    </form>
  );
}
