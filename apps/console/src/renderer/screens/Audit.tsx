import { useEffect, useMemo, useState } from 'react';
import { Action } from '../components/Action.js';
import { ComplianceReport } from '../components/ComplianceReport.js';
import { Loaded } from '../components/Loaded.js';
import { SubjectLink } from '../components/SubjectLink.js';
import { Table } from '../components/Table.js';
import { useQuery } from '../use-call.js';

/** The audit chain, newest first, filtered by person or subject; verify the whole registry with progress and a clear verdict; the shown events as JSON. */
export function Audit() {
  const [actor, setActor] = useState('');
  const [subject, setSubject] = useState('');
  const [action, setAction] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [before, setBefore] = useState<number[]>([]);
  const [limit, setLimit] = useState(100);
  // datetime-local is the reader's local time; the registry keeps UTC.
  const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);
  const filter = { ...(actor ? { actor } : {}), ...(subject ? { subject } : {}), ...(action ? { action } : {}), ...(since ? { since: iso(since) } : {}), ...(until ? { until: iso(until) } : {}), ...(before.length ? { before: before.at(-1) } : {}), limit };
  const { answer } = useQuery('audit.list', filter, [JSON.stringify(filter)]);
  const narrow = (set: (v: string) => void) => (v: string) => (set(v), setBefore([]));
  // One object URL per answer, released when the next one replaces it.
  const download = useMemo(() => (answer?.ok ? URL.createObjectURL(new Blob([JSON.stringify(answer.result, null, 2)], { type: 'application/json' })) : null), [answer]);
  useEffect(() => () => void (download && URL.revokeObjectURL(download)), [download]);
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">Audit</h2>
      <Action
        name="registry.verify"
        label="Verify the registry"
        input={() => ({})}
        describe={(r) =>
          r.ok ? (
            <p className="verdict ok">
              Intact: {r.blobs.checked} blob(s) re-hashed, {r.versions} version(s), {r.rows} sealed row(s), {r.auditEvents} audit event(s).
            </p>
          ) : (
            <div className="verdict bad">
              <p>{r.problems.length} problem(s):</p>
              <ul>
                {r.problems.map((p, i) => (
                  <li key={i}>
                    <strong>{p.code}</strong> {p.message}
                  </li>
                ))}
              </ul>
            </div>
          )
        }
      />
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label className="field">
          Person <input value={actor} onChange={(e) => narrow(setActor)(e.target.value)} />
        </label>
        <label className="field">
          Action <input value={action} onChange={(e) => narrow(setAction)(e.target.value)} placeholder="promote.approve" />
        </label>
        <label className="field">
          Subject <input value={subject} onChange={(e) => narrow(setSubject)(e.target.value)} placeholder="model:churn" />
        </label>
        <label className="field">
          From <input type="datetime-local" value={since} onChange={(e) => narrow(setSince)(e.target.value)} />
        </label>
        <label className="field">
          Until <input type="datetime-local" value={until} onChange={(e) => narrow(setUntil)(e.target.value)} />
        </label>
        <label className="field">
          Newest
          <select value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {[50, 100, 500, 1000].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
      </form>
      <Loaded answer={answer}>
        {(events) => (
          <>
            <p className="buttons">
              <a href={download ?? undefined} download="airlock-audit.json">
                Export these {events.length} events as JSON
              </a>
              {before.length > 0 && (
                <button type="button" onClick={() => setBefore((b) => b.slice(0, -1))}>
                  Newer
                </button>
              )}
              {events.length === limit && (
                <button type="button" onClick={() => setBefore((b) => [...b, events.at(-1)!.seq])}>
                  Older
                </button>
              )}
            </p>
            <Table
              caption="Audit events"
              empty="No event matches."
              rows={events}
              rowKey={(e) => e.seq}
              columns={[
                { header: '#', cell: (e) => e.seq },
                { header: 'At', cell: (e) => e.at.slice(0, 19).replace('T', ' ') },
                { header: 'Person', cell: (e) => e.actor },
                { header: 'Action', cell: (e) => e.action },
                { header: 'Subject', cell: (e) => <SubjectLink subject={e.subject} /> },
                { header: 'Details', cell: (e) => <code className="details">{JSON.stringify(e.details)}</code> },
              ]}
            />
          </>
        )}
      </Loaded>
      <ComplianceReport />
    </section>
  );
}
