import { useMemo } from 'react';
import { Link, useParams } from 'wouter';
import { Badge } from '../components/Badge.js';
import { Chart } from '../components/Chart.js';
import { DriftPanel } from '../components/DriftPanel.js';
import { Loaded } from '../components/Loaded.js';
import { Table } from '../components/Table.js';
import { segment } from '../params.js';
import { useQuery } from '../use-call.js';
import type { Output } from '../../api/contract.js';

type History = Output<'evaluations.history'>;

/** Per suite, each metric across versions: the newest evaluation of each version and suite. */
export function histories(history: History) {
  const suites = new Map<string, Map<number, Record<string, number>>>();
  for (const e of history) {
    const bySuite = suites.get(e.suite) ?? new Map<number, Record<string, number>>();
    suites.set(e.suite, bySuite.set(e.version, e.metrics));
  }
  return [...suites].map(([suite, byVersion]) => {
    const x = [...byVersion.keys()].sort((a, b) => a - b);
    const names = [...new Set(x.flatMap((v) => Object.keys(byVersion.get(v)!)))].sort();
    return { suite, x, series: names.map((label) => ({ label, values: x.map((v) => byVersion.get(v)![label] ?? null) })) };
  });
}

/** A model: its versions with their states, where each is active, each suite's metrics across versions, and drift. */
export function Model() {
  const { name } = useParams<{ name: string }>();
  const model = segment(name);
  const { answer } = useQuery('models.show', { ref: model }, [model]);
  return (
    <Loaded answer={answer}>
      {(shown) =>
        shown.kind === 'model' && (
          <section aria-labelledby="model-title">
            <h2 id="model-title">
              {shown.model.name} <small>{shown.model.kind}</small>
            </h2>
            {shown.model.description && <p>{shown.model.description}</p>}
            <p>Tags: {shown.model.tags.join(', ') || 'none'}</p>
            <h3>Versions</h3>
            <Table
              caption={`Versions of ${shown.model.name}`}
              empty="No versions."
              rows={shown.versions}
              rowKey={(v) => v.number}
              columns={[
                { header: 'Version', cell: (v) => <Link href={`/models/${encodeURIComponent(model)}/${v.number}`}>{`${model}@${v.number}`}</Link> },
                { header: 'State', cell: (v) => <Badge value={v.state} /> },
                { header: 'Flag', cell: (v) => v.flag ?? '' },
                { header: 'Active in', cell: (v) => shown.active.filter((a) => a.number === v.number).map((a) => a.environment).join(', ') || '–' },
                { header: 'Created', cell: (v) => v.createdAt.slice(0, 16).replace('T', ' ') },
                { header: 'Digest', cell: (v) => <code title={v.digest}>{v.digest.slice(7, 19)}</code> },
              ]}
            />
            {shown.versions.length >= 2 && (
              <p>
                <Link href={`/compare?from=${encodeURIComponent(`${model}@${shown.versions.at(-2)!.number}`)}&to=${encodeURIComponent(`${model}@${shown.versions.at(-1)!.number}`)}`}>Compare the two newest versions</Link>
              </p>
            )}
            <MetricHistory model={model} />
            <DriftPanel model={model} />
          </section>
        )
      }
    </Loaded>
  );
}

function MetricHistory({ model }: { model: string }) {
  const { answer } = useQuery('evaluations.history', { model }, [model]);
  const charts = useMemo(() => (answer?.ok ? histories(answer.result) : []), [answer]);
  return (
    <>
      <h3>Metrics across versions</h3>
      <Loaded answer={answer}>{() => (charts.length === 0 ? <p className="empty">No evaluation recorded yet.</p> : charts.map((c) => <Chart key={c.suite} title={`Suite ${c.suite}`} x={c.x} series={c.series} />))}</Loaded>
    </>
  );
}
