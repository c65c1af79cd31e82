import { Badge } from '../components/Badge.js';
import { Loaded } from '../components/Loaded.js';
import { Table } from '../components/Table.js';
import { useQuery } from '../use-call.js';

/** Every host at a glance: health, what it serves against what its environment expects, how fresh its last report is, latency and errors. */
export function Fleet() {
  const { answer, reload } = useQuery('fleet.show', {});
  return (
    <section aria-labelledby="fleet-title">
      <h2 id="fleet-title">Fleet</h2>
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
              { header: 'Host', cell: (h) => h.hostId },
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
    </section>
  );
}
