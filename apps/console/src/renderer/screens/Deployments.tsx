import { useState } from 'react';
import { Action, field } from '../components/Action.js';
import { Badge } from '../components/Badge.js';
import { Loaded } from '../components/Loaded.js';
import { PathField } from '../components/PathField.js';
import { Table } from '../components/Table.js';
import { useQuery } from '../use-call.js';

/** Deployments: create one for what is active, see what each host reported, and export its bundle to a stick with progress. */
export function Deployments() {
  const { answer, reload } = useQuery('deployments.list', {});
  const [out, setOut] = useState('');
  const [deployment, setDeployment] = useState(0);
  const [delta, setDelta] = useState<'auto' | 'none'>('auto');
  return (
    <section aria-labelledby="deployments-title">
      <h2 id="deployments-title">Deployments</h2>
      <Action name="deployments.create" label="Create deployment" input={(f) => ({ model: field(f, 'model'), environment: field(f, 'environment') })} onDone={reload} describe={(d) => `Deployment #${d.id}: ${d.version} to ${d.environment}.`}>
        <label className="field">
          Model <input name="model" required />
        </label>
        <label className="field">
          Environment <input name="environment" required />
        </label>
      </Action>
      <Loaded answer={answer}>
        {(rows) => (
          <Table
            caption="Deployments"
            empty="No deployment yet."
            rows={rows}
            rowKey={(d) => d.id}
            columns={[
              { header: '#', cell: (d) => d.id },
              { header: 'Version', cell: (d) => d.version },
              { header: 'Environment', cell: (d) => d.environment },
              { header: 'Sequence', cell: (d) => d.sequence },
              {
                header: 'Hosts',
                cell: (d) =>
                  d.hosts.length === 0
                    ? 'no host yet'
                    : d.hosts.map((h) => (
                        <span key={h.hostId} className="host-state">
                          {h.hostId} <Badge value={h.state} />
                          {h.code ? ` ${h.code}` : ''}
                        </span>
                      )),
              },
            ]}
          />
        )}
      </Loaded>
      <h3>Export a bundle</h3>
      <Action name="bundles.export" label="Export bundle" input={() => ({ deployment, out, delta })} onDone={reload} describe={(r) => `Wrote ${r.path}: ${mib(r.bytes)}, ${r.blobs - r.omitted} of ${r.blobs} blob(s) (the hosts hold the rest).`}>
        <label className="field">
          Deployment # <input name="deployment" type="number" min={1} required value={deployment || ''} onChange={(e) => setDeployment(Number(e.target.value))} />
        </label>
        <PathField label="To folder (a USB stick)" name="out" kind="target-folder" value={out} onChange={setOut} />
        <label className="field">
          Content
          <select name="delta" value={delta} onChange={(e) => setDelta(e.target.value === 'none' ? 'none' : 'auto')}>
            <option value="auto">only what the hosts lack (delta)</option>
            <option value="none">everything (full)</option>
          </select>
        </label>
        {deployment > 0 && <ExportSize deployment={deployment} delta={delta} />}
      </Action>
    </section>
  );
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** The bundle's size before it is written: with a delta, only the blobs some target host lacks. */
function ExportSize({ deployment, delta }: { deployment: number; delta: 'auto' | 'none' }) {
  const { answer } = useQuery('bundles.preview', { deployment, delta }, [deployment, delta]);
  return (
    <p role="status" className="status">
      {answer === null ? 'Sizing the bundle…' : answer.ok ? `Carries ${answer.result.carried} of ${answer.result.blobs} blob(s): ${mib(answer.result.bytes)} of ${mib(answer.result.bytesAll)}.` : `${answer.error.code}: ${answer.error.message}`}
    </p>
  );
}
