import { useMemo } from 'react';
import type { Output } from '../../api/contract.js';
import { Chart } from './Chart.js';
import { Loaded } from './Loaded.js';
import { RetrainingRequests } from './RetrainingRequests.js';
import { Table } from './Table.js';
import { useQuery } from '../use-call.js';

type Shown = Output<'drift.show'>;

/**
 * Per version and host, the drift windows hosts reported: one chart of each feature's population
 * stability index over time (the same scale for every feature type), and the windows that alarmed.
 */
export function driftCharts(shown: Shown) {
  return shown.versions.flatMap((v) =>
    v.hosts.map((h) => {
      const x = h.windows.map((w) => Date.parse(w.closedAt) / 1000);
      const names = [...new Set(h.windows.flatMap((w) => w.features.map((f) => f.name)))];
      return {
        key: `${v.number}/${h.host}/${h.slot}`,
        title: `${shown.model}@${v.number} on ${h.host}: PSI per feature (${h.tapped} requests tapped)`,
        x,
        series: names.map((label) => ({ label, values: h.windows.map((w) => w.features.find((f) => f.name === label)?.statistics.psi ?? null) })),
        alarms: h.windows.filter((w) => w.alarm).map((w) => ({ version: v.number, host: h.host, closedAt: w.closedAt, n: w.n, features: w.features.filter((f) => f.alarm).map((f) => `${f.name} (${f.statistics.decidedBy ?? f.verdict})`).join(', ') })),
      };
    }),
  );
}

export function DriftPanel({ model }: { model: string }) {
  const { answer } = useQuery('drift.show', { ref: model, limit: 48 }, [model]);
  const charts = useMemo(() => (answer?.ok ? driftCharts(answer.result) : []), [answer]);
  const alarms = charts.flatMap((c) => c.alarms);
  return (
    <>
      <h3>Drift reported by hosts</h3>
      <Loaded answer={answer}>
        {() =>
          charts.length === 0 ? (
            <p className="empty">No host has reported drift windows for this model yet.</p>
          ) : (
            <>
              {charts.map((c) => (
                <Chart key={c.key} title={c.title} x={c.x} series={c.series} time />
              ))}
              <Table
                caption="Windows that raised a drift alarm"
                empty="No alarm: no two of three consecutive windows drifted."
                rows={alarms}
                rowKey={(a) => `${a.version}/${a.host}/${a.closedAt}`}
                columns={[
                  { header: 'Version', cell: (a) => `${model}@${a.version}` },
                  { header: 'Host', cell: (a) => a.host },
                  { header: 'Window closed', cell: (a) => a.closedAt.slice(0, 19).replace('T', ' ') },
                  { header: 'Requests', cell: (a) => a.n },
                  { header: 'Features alarmed (test)', cell: (a) => a.features },
                ]}
              />
            </>
          )
        }
      </Loaded>
      <RetrainingRequests model={model} />
    </>
  );
}
