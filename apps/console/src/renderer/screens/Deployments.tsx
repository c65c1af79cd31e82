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
      <Action name="bundles.export" label="Export bundle" input={(f) => ({ deployment: Number(field(f, 'deployment')), out, delta: field(f, 'delta') === 'none' ? 'none' : 'auto' })} onDone={reload} describe={(r) => `Wrote ${r.path}: ${(r.bytes / 1024 / 1024).toFixed(1)} MiB, ${r.blobs - r.omitted} of ${r.blobs} blob(s) (the hosts hold the rest).`}>
        <label className="field">
          Deployment # <input name="deployment" type="number" min={1} required />
        </label>
        <PathField label="To folder (a USB stick)" name="out" kind="target-folder" value={out} onChange={setOut} />
        <label className="field">
          Content
          <select name="delta" defaultValue="auto">
            <option value="auto">only what the hosts lack (delta)</option>
            <option value="none">everything (full)</option>
          </select>
        </label>
      </Action>
    </section>
  );
}
