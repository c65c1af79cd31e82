import { useState } from 'react';
import { Action, field } from './Action.js';
import { PathField } from './PathField.js';
import { useQuery } from '../use-call.js';

/** Issue an environment's compliance report (signed by whoever issues it), and check one against its signature. */
export function ComplianceReport() {
  const envs = useQuery('environments.list', {});
  const [out, setOut] = useState('');
  const [toVerify, setToVerify] = useState('');
  const names = envs.answer?.ok ? envs.answer.result.map((e) => e.name) : [];
  return (
    <>
      <h3>Compliance report</h3>
      <Action
        name="compliance.issue"
        label="Write compliance report"
        input={(f) => {
          const since = field(f, 'since');
          return { environment: field(f, 'environment'), out, ...(since ? { since: new Date(since).toISOString() } : {}) };
        }}
        describe={(r) => `Wrote ${r.path} (${r.format}, ${r.digest}) as of audit event ${r.asOf.seq}, signed by ${r.issuedBy} in ${r.signature}.`}
      >
        <label className="field">
          Environment
          <select name="environment" required>
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label className="field">
          Since (empty: the whole history) <input name="since" type="datetime-local" />
        </label>
        <PathField label="Report file (.html or .pdf)" name="out" kind="target-file" value={out} onChange={setOut} />
      </Action>
      <Action name="compliance.verify" label="Verify report" input={() => ({ path: toVerify })} describe={(r) => `Verified: the ${r.environment} report ${r.issuedBy} signed at ${r.issuedAt}, unchanged.`}>
        <PathField label="Report to verify" name="path" kind="source-file" value={toVerify} onChange={setToVerify} />
      </Action>
    </>
  );
}
