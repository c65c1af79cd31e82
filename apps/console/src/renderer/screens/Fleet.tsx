import { useMemo, useState } from 'react';
import type { Output } from '../../api/contract.js';
import { Badge } from '../components/Badge.js';
import { Chart } from '../components/Chart.js';
import { Loaded } from '../components/Loaded.js';
import { RetrainingRequests } from '../components/RetrainingRequests.js';
import { OverdueReviews } from '../components/ReviewCalendar.js';
import { Table } from '../components/Table.js';
import { useQuery } from '../use-call.js';

/** Every host at a glance: health, what it serves against what its environment expects, how fresh its last report is, latency and errors; and the retraining drift reviews asked for. */
export function Fleet() {
  const { answer, reload } = useQuery('fleet.show', {});
  const [host, setHost] = useState<string | null>(null);
  return (
    <section aria-labelledby="fleet-title">
      <h2 id="fleet-title">Fleet</h2>
      <OverdueReviews />
      <button type="button" onClick={reload}>
        Refresh
      </button>
      <Loaded answer={answer}>
        {(hosts) => (
          <Table
            caption="Hosts"
            empty="No host enrolled yet: enroll one from its enrollment request on the Reports screen."
            rows={hosts}
            rowKey={(h) => h.hostId}
            columns={[
              {
                header: 'Host',
                cell: (h) => (
                  <button type="button" className="link" onClick={() => setHost(h.hostId)} aria-label={`History of ${h.hostId}`}>
                    {h.hostId}
                  </button>
                ),
              },
              { header: 'Environment', cell: (h) => h.environment ?? '–' },
              { header: 'Health', cell: (h) => <Badge value={h.health} /> },
              {
                header: 'Serving',
                cell: (h) =>
                  h.slots.map((s) => (
                    <span key={s.slot} className={s.expected ? 'mismatch' : undefined}>
                      {s.version ?? 'nothing'} {s.healthy ? '' : '(unhealthy)'}
                      {s.expected ? ` — expected ${s.expected}` : ''}
                    </span>
                  )),
              },
              { header: 'p95', cell: (h) => h.slots.map((s) => (s.p95Ms === null ? '–' : `${s.p95Ms.toFixed(1)} ms`)).join(', ') || '–' },
              { header: 'Errors', cell: (h) => h.slots.map((s) => (s.errorRate === null ? '–' : `${(s.errorRate * 100).toFixed(2)} %`)).join(', ') || '–' },
              { header: 'Last report', cell: (h) => (h.lastReport === null ? 'never' : <span className={h.stale ? 'stale' : undefined}>{`${Math.round(h.ageMinutes ?? 0)} min ago${h.stale ? ' (stale)' : ''}`}</span>) },
              { header: 'Pending', cell: (h) => h.pendingDeployments },
            ]}
          />
        )}
      </Loaded>
      {host && <HostHistory host={host} />}
      <RetrainingRequests />
    </section>
  );
}

type History = Output<'hosts.history'>;

/** Per slot, the latency percentiles and the error share across a host's status reports. */
function series(history: History) {
  const slots = [...new Set(history.flatMap((r) => r.slots.map((s) => s.slot)))].sort();
  const x = history.map((r) => Math.round(Date.parse(r.at) / 1000));
  return slots.map((slot) => {
    const at = history.map((r) => r.slots.find((s) => s.slot === slot));
    return {
      slot,
      latency: (['p50Ms', 'p95Ms', 'p99Ms'] as const).map((k) => ({ label: `${k.slice(0, 3)} ms`, values: at.map((s) => s?.[k] ?? null) })),
      errors: [{ label: 'errors %', values: at.map((s) => (s?.errorRate === null || s === undefined ? null : s.errorRate * 100)) }],
      x,
    };
  });
}

function HostHistory({ host }: { host: string }) {
  const { answer } = useQuery('hosts.history', { host }, [host]);
  const charts = useMemo(() => (answer?.ok ? series(answer.result) : []), [answer]);
  return (
    <section aria-labelledby="history-title" className="panel">
      <h3 id="history-title">{host} over time</h3>
      <Loaded answer={answer}>
        {(rows) =>
          rows.length === 0 ? (
            <p className="empty">No status report from {host} yet.</p>
          ) : (
            charts.map((c) => (
              <div key={c.slot}>
                <Chart title={`${c.slot}: latency`} x={c.x} series={c.latency} time />
                <Chart title={`${c.slot}: error share`} x={c.x} series={c.errors} time />
              </div>
            ))
          )
        }
      </Loaded>
    </section>
  );
}
