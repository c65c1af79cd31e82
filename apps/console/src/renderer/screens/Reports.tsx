import { useState } from 'react';
import { Action, field } from '../components/Action.js';
import { PathField } from '../components/PathField.js';
import { Table } from '../components/Table.js';

/** Bring hosts' signed reports (and enrollment requests) back from a stick: what was imported, refused (with its code) or known already. */
export function Reports() {
  const [dir, setDir] = useState('');
  const [request, setRequest] = useState('');
  return (
    <section aria-labelledby="reports-title">
      <h2 id="reports-title">Reports</h2>
      <Action
        name="reports.import"
        label="Import reports"
        input={() => ({ dir })}
        describe={(r) => (
          <>
            <p>
              {r.imported} imported, {r.duplicates} already known, {r.rejected.length} refused{r.reviews.length ? `, ${r.reviews.length} review item(s) opened` : ''}.
            </p>
            <Table caption="Refused reports" empty="" rows={r.rejected} rowKey={(x) => x.file} columns={[{ header: 'File', cell: (x) => x.file }, { header: 'Code', cell: (x) => x.code }, { header: 'Why', cell: (x) => x.message }]} />
          </>
        )}
      >
        <PathField label="Folder with reports" name="dir" kind="source-folder" value={dir} onChange={setDir} />
      </Action>
      <h3>Enroll a host</h3>
      <Action name="hosts.enroll" label="Enroll host" input={() => ({ path: request })} describe={(r) => `${r.created ? 'Enrolled' : 'Already enrolled:'} ${r.hostId} (key ${r.keyId.slice(0, 12)}…).`}>
        <PathField label="Enrollment request (the agent's *.enrollment.json)" name="request" kind="source-file" value={request} onChange={setRequest} />
      </Action>
      <h3>Put a host in an environment</h3>
      <Action name="hosts.assign" label="Assign host" input={(f) => ({ host: field(f, 'host'), environment: field(f, 'environment') })} describe={(r) => `${r.hostId} now serves ${r.environment}.`}>
        <label className="field">
          Host <input name="host" required />
        </label>
        <label className="field">
          Environment <input name="environment" required />
        </label>
      </Action>
    </section>
  );
}
