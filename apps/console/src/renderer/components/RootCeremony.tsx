import { useState } from 'react';
import type { Output } from '../../api/contract.js';
import { Action, field } from './Action.js';
import { PathField } from './PathField.js';

const ROLES = ['root', 'release', 'approver'] as const;
type Draft = Output<'roots.sign'>;

const short = (keyid: string) => `${keyid.slice(0, 12)}…`;

/** What a draft changes and who has signed it: what each root-key holder reads before signing. */
export function DraftSummary({ draft }: { draft: Draft }) {
  const side = (label: string, s: Draft['previous']) => (
    <li>
      {label}: {s.signed.length} of {s.threshold} needed{s.signed.length > 0 && <> ({s.signed.map(short).join(', ')})</>}
    </li>
  );
  return (
    <div className="draft">
      <p>
        Root version {draft.previousVersion} → {draft.version}, expires {draft.expiresAt.slice(0, 10)}.
      </p>
      <ul aria-label="Changes">
        {draft.changes.map((c, i) => (
          <li key={i}>
            {c.kind === 'key-added' && `${c.role} gains key ${short(c.keyid!)}`}
            {c.kind === 'key-removed' && `${c.role} loses key ${short(c.keyid!)}`}
            {c.kind === 'threshold' && `${c.role} threshold ${c.from} → ${c.to}`}
            {c.kind === 'expiry' && `expiry ${String(c.from).slice(0, 10)} → ${String(c.to).slice(0, 10)}`}
          </li>
        ))}
      </ul>
      <ul aria-label="Signatures">
        {side(`version ${draft.previousVersion}'s root keys`, draft.previous)}
        {side(`version ${draft.version}'s root keys`, draft.proposed)}
      </ul>
      <p>{draft.complete ? 'Both thresholds are met: it can be published.' : 'Waiting for more root-key holders to sign it.'}</p>
    </div>
  );
}

/**
 * The root ceremony: propose the next root (a person's key joining or leaving a role, thresholds,
 * expiry), sign the draft with one's own key (others sign it offline with `airlock root sign --key`),
 * publish it once both thresholds are met. Revoking someone who leaves is here too.
 */
export function RootCeremony({ people, onChange }: { people: string[]; onChange: () => void }) {
  const [out, setOut] = useState('');
  const [toSign, setToSign] = useState('');
  const [toPublish, setToPublish] = useState('');
  const [revokeDraft, setRevokeDraft] = useState('');
  const person = (name: string, label: string) => (
    <label className="field">
      {label}
      <select name={name} defaultValue="">
        <option value="">nobody</option>
        {people.map((p) => (
          <option key={p}>{p}</option>
        ))}
      </select>
    </label>
  );
  const role = (name: string, label: string) => (
    <label className="field">
      {label}
      <select name={name} defaultValue="approver">
        {ROLES.map((r) => (
          <option key={r}>{r}</option>
        ))}
      </select>
    </label>
  );
  return (
    <>
      <h3>Root ceremony</h3>
      <Action
        name="roots.propose"
        label="Propose root"
        input={(f) => {
          const thresholds = Object.fromEntries(ROLES.filter((r) => field(f, `threshold-${r}`) !== '').map((r) => [r, Number(field(f, `threshold-${r}`))]));
          const days = field(f, 'expiresDays');
          return {
            out,
            add: field(f, 'addUser') ? [{ role: field(f, 'addRole') as (typeof ROLES)[number], user: field(f, 'addUser') }] : [],
            remove: field(f, 'removeUser') ? [{ role: field(f, 'removeRole') as (typeof ROLES)[number], user: field(f, 'removeUser') }] : [],
            thresholds,
            ...(days ? { expiresDays: Number(days) } : {}),
          };
        }}
        describe={(d) => <DraftSummary draft={d} />}
      >
        <PathField label="Draft file to write" name="out" kind="target-file" value={out} onChange={setOut} />
        {person('addUser', "Key joining: person's key")}
        {role('addRole', 'joins the role')}
        {person('removeUser', "Key leaving: person's key")}
        {role('removeRole', 'leaves the role')}
        <fieldset>
          <legend>Thresholds (empty: unchanged)</legend>
          {ROLES.map((r) => (
            <label key={r} className="field">
              {r} threshold <input name={`threshold-${r}`} type="number" min={1} max={64} />
            </label>
          ))}
        </fieldset>
        <label className="field">
          Expires in days (empty: unchanged) <input name="expiresDays" type="number" min={1} max={3650} />
        </label>
      </Action>
      <Action name="roots.sign" label="Sign draft" input={() => ({ draft: toSign })} describe={(d) => <DraftSummary draft={d} />}>
        <PathField label="Draft to sign with your key" name="draft" kind="source-file" value={toSign} onChange={setToSign} />
      </Action>
      <Action name="roots.publish" label="Publish root" input={() => ({ draft: toPublish })} onDone={onChange} describe={(d) => `Published root version ${d.version}; bundles carry it to the hosts from now on.`}>
        <PathField label="Signed draft" name="draft" kind="source-file" value={toPublish} onChange={setToPublish} />
      </Action>
      <h3>Someone leaves</h3>
      <Action
        name="users.revoke"
        label="Revoke user"
        input={(f) => ({ name: field(f, 'revokeUser'), reason: field(f, 'reason'), ...(revokeDraft ? { draft: revokeDraft } : {}) })}
        onDone={onChange}
        describe={(r) =>
          r.rootVersion !== null
            ? `Revoked ${r.name}; root version ${r.rootVersion} drops the key from ${r.rootRoles.join(' and ')}.`
            : r.draft
              ? `Revoked ${r.name}; ${r.draft} drops the key from ${r.rootRoles.join(' and ')} once signed and published.`
              : `Revoked ${r.name}.`
        }
      >
        {person('revokeUser', 'Person')}
        <label className="field">
          Reason <input name="reason" required />
        </label>
        <PathField label="Draft file, when the root needs more than your signature" name="revokeDraft" kind="target-file" value={revokeDraft} onChange={setRevokeDraft} optional />
      </Action>
    </>
  );
}
