import { useState } from 'react';
import { Link, useParams } from 'wouter';
import type { Output } from '../../api/contract.js';
import { Action, field } from '../components/Action.js';
import { Badge } from '../components/Badge.js';
import { Json } from '../components/Json.js';
import { Loaded } from '../components/Loaded.js';
import { Problem } from '../components/Problem.js';
import { Table } from '../components/Table.js';
import { useSession } from '../session.js';
import { useCaller, useQuery } from '../use-call.js';

type Evidence = Output<'promotions.preview'>;

/** The gates of an evidence, line by line: which check, passed or not, and why. */
export function Gates({ evidence }: { evidence: Evidence }) {
  return (
    <ul className="gates" aria-label="Gates">
      {evidence.gates.map((g) => (
        <li key={g.gate} className={g.passed ? 'gate passed' : 'gate failed'}>
          <strong>{g.passed ? '✓ passed' : '✗ failed'}</strong> {g.gate}: {g.detail}
        </li>
      ))}
    </ul>
  );
}

/** Request a promotion, after seeing the gates it would be held to now. */
export function GatePreview({ version, environments }: { version: string; environments: string[] }) {
  const caller = useCaller();
  const [environment, setEnvironment] = useState(environments[0] ?? '');
  const [preview, setPreview] = useState<Awaited<ReturnType<typeof caller<'promotions.preview'>>> | null>(null);
  if (environments.length === 0) return <p className="empty">No environment yet: create one on the Environments screen.</p>;
  return (
    <div className="promote">
      <label className="field">
        Environment
        <select value={environment} onChange={(e) => (setEnvironment(e.target.value), setPreview(null))}>
          {environments.map((e) => (
            <option key={e}>{e}</option>
          ))}
        </select>
      </label>
      <button type="button" onClick={() => void caller('promotions.preview', { ref: version, environment }).then(setPreview)}>
        Preview gates
      </button>
      {preview && (preview.ok ? <Gates evidence={preview.result} /> : <Problem error={preview.error} />)}
      <Action name="promotions.request" label={`Request promotion to ${environment}`} input={() => ({ ref: version, environment })} describe={(r) => <PromotionOutcome outcome={r} />} />
    </div>
  );
}

function PromotionOutcome({ outcome }: { outcome: Output<'promotions.request'> }) {
  const p = outcome.promotion;
  return (
    <>
      <Link href={`/promotions/${p.id}`}>Promotion #{p.id}</Link>: <Badge value={p.state} />
      {outcome.outcome === 'refused' && <Problem error={outcome.refusal} />}
    </>
  );
}

/** Every promotion, newest first, open ones on top of mind. */
export function Promotions() {
  const [open, setOpen] = useState(true);
  const { answer } = useQuery('promotions.list', { open }, [open]);
  return (
    <section aria-labelledby="promotions-title">
      <h2 id="promotions-title">Promotions</h2>
      <label className="check">
        <input type="checkbox" checked={open} onChange={(e) => setOpen(e.target.checked)} /> open only
      </label>
      <Loaded answer={answer}>
        {(rows) => (
          <Table
            caption="Promotions"
            empty={open ? 'No open promotion.' : 'No promotion yet.'}
            rows={rows}
            rowKey={(p) => p.id}
            columns={[
              { header: '#', cell: (p) => <Link href={`/promotions/${p.id}`}>#{p.id}</Link> },
              { header: 'Version', cell: (p) => p.version },
              { header: 'Environment', cell: (p) => p.environment },
              { header: 'State', cell: (p) => <Badge value={p.state} /> },
              { header: 'Requested by', cell: (p) => p.requestedBy },
              { header: 'Updated', cell: (p) => p.updatedAt.slice(0, 16).replace('T', ' ') },
            ]}
          />
        )}
      </Loaded>
    </section>
  );
}

/** One promotion: its evidence and digest, who asked, the decisions as a timeline, and approve or reject for someone else. */
export function Promotion() {
  const { id } = useParams<{ id: string }>();
  const session = useSession();
  const { answer, reload } = useQuery('promotions.show', { id: Number(id) }, [id]);
  // Kept here, not in the form: the form goes once the promotion is decided, and a refusal must stay in view.
  const [outcome, setOutcome] = useState<Output<'promotions.decide'> | null>(null);
  return (
    <Loaded answer={answer}>
      {(p) => {
        const own = p.requestedBy === session.user;
        const open = p.state === 'awaiting_approval';
        return (
          <section aria-labelledby="promotion-title">
            <h2 id="promotion-title">
              Promotion #{p.id}: {p.version} → {p.environment} <Badge value={p.state} />
            </h2>
            <ol className="timeline" aria-label="Timeline">
              <li>
                {p.requestedAt.slice(0, 16).replace('T', ' ')}: requested by <strong>{p.requestedBy}</strong>
                {p.breakGlass ? ' (break glass)' : ''}
              </li>
              {p.approvals.map((a) => (
                <li key={`${a.approver}-${a.at}`}>
                  {a.at.slice(0, 16).replace('T', ' ')}: {a.decision === 'approve' ? 'approved' : 'rejected'} by <strong>{a.approver}</strong>
                </li>
              ))}
              <li>
                {p.updatedAt.slice(0, 16).replace('T', ' ')}: now <Badge value={p.state} />
              </li>
            </ol>
            <dl className="facts">
              <dt>Evidence digest</dt>
              <dd>
                <code>{p.evidenceDigest}</code>
              </dd>
              <dt>Version digest</dt>
              <dd>
                <code>{p.digest}</code>
              </dd>
            </dl>
            {outcome && (
              <div role="status" className={outcome.outcome === 'refused' ? 'refused' : 'done'}>
                Your decision: <PromotionOutcome outcome={outcome} />
              </div>
            )}
            {'gates' in p.evidence && <Gates evidence={p.evidence} />}
            {open &&
              (own ? (
                <p className="note" role="note">
                  You requested this promotion, so you cannot approve it: a second person unlocks beside you and approves (the two-person rule).
                </p>
              ) : (
                <Action name="promotions.decide" label="Sign decision" input={(f) => ({ id: p.id, decision: field(f, 'decision') as 'approve' | 'reject', note: field(f, 'note') })} onDone={(r) => (setOutcome(r), reload())}>
                  <fieldset>
                    <legend>Decision, signed with {session.user}'s key over evidence {p.evidenceDigest.slice(0, 19)}…</legend>
                    <label className="check">
                      <input type="radio" name="decision" value="approve" defaultChecked /> approve
                    </label>
                    <label className="check">
                      <input type="radio" name="decision" value="reject" /> reject
                    </label>
                  </fieldset>
                  <label className="field">
                    Note <input name="note" />
                  </label>
                </Action>
              ))}
            <h3>Evidence</h3>
            <Json value={p.evidence} label="Evidence" />
          </section>
        );
      }}
    </Loaded>
  );
}
