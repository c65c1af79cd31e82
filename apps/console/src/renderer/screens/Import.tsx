import { useState } from 'react';
import { Link } from 'wouter';
import type { Output } from '../../api/contract.js';
import { Action, field } from '../components/Action.js';
import { Loaded } from '../components/Loaded.js';
import { PathField } from '../components/PathField.js';
import { Table } from '../components/Table.js';
import { mayPerform, PERMISSIONS } from '../../api/permissions.js';
import { useSession } from '../session.js';
import { useCaller } from '../use-call.js';
import type { Answer } from '../../api/envelope.js';

/** Choose a folder, see what it declares (and what is wrong with it, as the CLI says it), then import with progress. */
export function Import() {
  const caller = useCaller();
  const session = useSession();
  const [path, setPath] = useState('');
  const [model, setModel] = useState('');
  const [preview, setPreview] = useState<Answer<Output<'models.inspect'>> | null>(null);
  const inspect = () => void caller('models.inspect', { path, model }).then(setPreview);
  return (
    <section aria-labelledby="import-title">
      <h2 id="import-title">Import a model version</h2>
      {!mayPerform(session.roles, 'model.import') && (
        <p className="note" role="note">
          Importing needs the role {PERMISSIONS['model.import'].join(' or ')}; {session.user} is {session.roles.join(', ')}.
        </p>
      )}
      <PathField label="Folder (or file)" name="path" kind="source-folder" value={path} onChange={(p) => (setPath(p), setPreview(null))} />
      <label className="field">
        Model name <input name="model-name" value={model} onChange={(e) => (setModel(e.target.value), setPreview(null))} required />
      </label>
      <button type="button" onClick={inspect} disabled={!path || !model || !mayPerform(session.roles, 'model.import')}>
        Preview
      </button>
      {preview && (
        <Loaded answer={preview}>
          {(p) => (
            <div className="preview" aria-label="Preview">
              <p>
                {p.declared ? 'airlock-model.json declares' : 'No airlock-model.json:'} a {p.kind} model{p.description ? `: ${p.description}` : ''}; {p.files.length} file(s), {(p.bytes / 1024 / 1024).toFixed(1)} MiB
                {p.suites.length ? `; suites ${p.suites.join(', ')}` : '; no evaluation suite'}; {p.deployable ? 'deployable (runtime and health declared)' : 'not deployable (no runtime or health)'}.
              </p>
              {p.assumed.map((a) => (
                <p key={a} className="note" role="note">
                  {a}
                </p>
              ))}
              <Table caption="Files" empty="No files." rows={p.files} rowKey={(f) => f.path} columns={[{ header: 'Path', cell: (f) => f.path }, { header: 'Role', cell: (f) => f.role }, { header: 'Bytes', cell: (f) => f.size }]} />
              <Action name="models.import" label="Import" input={(f) => ({ path, model: field(f, 'model') || model })} describe={(r) => <>{r.created ? 'Imported' : 'Already registered as'} <Link href={`/models/${encodeURIComponent(r.ref.split('@')[0]!)}/${r.ref.split('@')[1]}`}>{r.ref}</Link> ({r.state}).</>}>
                <input type="hidden" name="model" value={model} />
              </Action>
            </div>
          )}
        </Loaded>
      )}
    </section>
  );
}
