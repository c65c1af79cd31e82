import { Link, useParams } from 'wouter';
import { VERSION_STATES } from '../../api/enums.js';
import { Action, field } from '../components/Action.js';
import { Badge } from '../components/Badge.js';
import { Json } from '../components/Json.js';
import { Loaded } from '../components/Loaded.js';
import { Table } from '../components/Table.js';
import { segment } from '../params.js';
import { useQuery } from '../use-call.js';
import { GatePreview } from './Promotions.js';

const size = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/** One version in full: what it is made of, where it comes from, its evaluations, and what can be done with it. */
export function Version() {
  const params = useParams<{ name: string; number: string }>();
  const ref = `${segment(params.name)}@${params.number}`;
  const { answer, reload } = useQuery('models.show', { ref }, [ref]);
  const envs = useQuery('environments.list', {}).answer;
  return (
    <Loaded answer={answer}>
      {(shown) => {
        if (shown.kind !== 'version') return null;
        const v = shown.version;
        const m = v.manifest;
        const suites = Object.keys(m.evaluation.suites);
        return (
          <section aria-labelledby="version-title">
            <h2 id="version-title">
              {v.ref} <Badge value={v.state} />
            </h2>
            <dl className="facts">
              <dt>Digest</dt>
              <dd>
                <code>{v.digest}</code>
              </dd>
              <dt>Created</dt>
              <dd>
                {v.createdAt} by {v.createdBy}
              </dd>
              {v.flag && (
                <>
                  <dt>Flag</dt>
                  <dd>{v.flag}</dd>
                </>
              )}
              <dt>Licence</dt>
              <dd>{m.licence ?? 'not declared'}</dd>
              <dt>Lineage</dt>
              <dd>
                {m.lineage.source ?? 'no source'}
                {m.lineage.trainingRun ? `, run ${m.lineage.trainingRun}` : ''}
                {m.lineage.dataDigests.length ? `, ${m.lineage.dataDigests.length} data digest(s)` : ''}
              </dd>
              <dt>Dependencies</dt>
              <dd>
                {[m.dependencies.baseModel && `base model ${m.dependencies.baseModel}`, m.dependencies.tokenizer && `tokenizer ${m.dependencies.tokenizer}`, ...m.dependencies.datasets.map((d) => `dataset ${d.name} (${d.digest.slice(0, 19)}…)`)]
                  .filter(Boolean)
                  .join('; ') || 'none declared'}
              </dd>
            </dl>
            {v.number > 1 && (
              <p>
                <Link href={`/compare?from=${encodeURIComponent(`${m.model.name}@${v.number - 1}`)}&to=${encodeURIComponent(v.ref)}`}>Compare with the version before</Link>
              </p>
            )}
            <h3>Governed dependencies</h3>
            <Table
              caption="Governed dependencies"
              empty="No governed dependency (base model or dataset) declared."
              rows={v.dependencies}
              rowKey={(d) => `${d.kind} ${d.digest}`}
              columns={[
                { header: 'Kind', cell: (d) => d.kind.replace('_', ' ') },
                { header: 'Version', cell: (d) => d.ref ?? 'not in this registry' },
                { header: 'State', cell: (d) => (d.state ? <Badge value={d.state} /> : '–') },
                { header: 'Standing', cell: (d) => (d.state === 'revoked' || d.state === 'quarantined' ? <strong className="mismatch">blocks promotion</strong> : d.ref === null && d.kind === 'base_model' ? <strong className="mismatch">unknown base model: blocks promotion</strong> : 'good') },
                { header: 'Digest', cell: (d) => <code title={d.digest}>{d.digest.slice(7, 19)}</code> },
              ]}
            />
            <h3>Components</h3>
            <Table
              caption="Components"
              empty="No components."
              rows={m.components}
              rowKey={(c) => c.path}
              columns={[
                { header: 'Path', cell: (c) => c.path },
                { header: 'Role', cell: (c) => c.role },
                { header: 'Size', cell: (c) => size(c.size) },
                { header: 'Digest', cell: (c) => <code title={c.digest}>{c.digest.slice(7, 19)}</code> },
              ]}
            />
            <h3>Evaluations</h3>
            <Table
              caption="Evaluations"
              empty="No evaluation recorded yet."
              rows={v.evaluations}
              rowKey={(e) => e.id}
              columns={[
                { header: 'Suite', cell: (e) => e.suite },
                { header: 'Source', cell: (e) => e.source },
                { header: 'Metrics', cell: (e) => Object.entries(e.metrics).map(([k, x]) => `${k} ${x}`).join(', ') },
                { header: 'Recorded', cell: (e) => e.recordedAt.slice(0, 16).replace('T', ' ') },
              ]}
            />
            <div className="actions">
              {suites.length > 0 && (
                <Action name="evaluations.run" label="Run suite" input={(f) => ({ ref, suite: field(f, 'suite') })} onDone={reload} describe={(r) => `Recorded ${Object.entries(r.metrics).map(([k, x]) => `${k} ${x}`).join(', ')}.`}>
                  <label className="field">
                    Suite
                    <select name="suite">
                      {suites.map((s) => (
                        <option key={s}>{s}</option>
                      ))}
                    </select>
                  </label>
                </Action>
              )}
              <Action
                name="evaluations.record"
                label="Record external results"
                input={(f) => {
                  try {
                    return { ref, suite: field(f, 'suite'), results: JSON.parse(field(f, 'results')) as unknown };
                  } catch {
                    return { code: 'INVALID_INPUT', message: 'The results must be JSON, like {"metrics": {"accuracy": 0.91}}.' };
                  }
                }}
                onDone={reload}
                describe={(r) => `Recorded results of ${r.suite} (${r.source}).`}
              >
                <label className="field">
                  Suite <input name="suite" required />
                </label>
                <label className="field">
                  Results (JSON) <textarea name="results" rows={3} defaultValue={'{"metrics": {}}'} />
                </label>
              </Action>
              <Action name="versions.transition" label="Change state" input={(f) => ({ ref, to: field(f, 'to') as (typeof VERSION_STATES)[number], reason: field(f, 'reason') })} onDone={reload} describe={(r) => `${r.ref}: ${r.from} → ${r.to}.`}>
                <label className="field">
                  New state
                  <select name="to" defaultValue="validated">
                    {VERSION_STATES.filter((s) => s !== v.state).map((s) => (
                      <option key={s}>{s}</option>
                    ))}
                  </select>
                </label>
                <label className="field">
                  Reason <input name="reason" />
                </label>
              </Action>
            </div>
            <h3>Promote</h3>
            <Loaded answer={envs}>{(list) => <GatePreview version={v.ref} environments={list.map((e) => e.name)} />}</Loaded>
            <h3>Manifest</h3>
            <Json value={m} label="Manifest" />
          </section>
        );
      }}
    </Loaded>
  );
}
