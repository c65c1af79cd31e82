import { useSearch } from 'wouter';
import { Json } from '../components/Json.js';
import { Loaded } from '../components/Loaded.js';
import { useQuery } from '../use-call.js';
import type { Output } from '../../api/contract.js';

type Change = Output<'versions.diff'>['components'];

function Changes({ title, change }: { title: string; change: Change }) {
  const none = change.added.length + change.removed.length + change.changed.length === 0;
  return (
    <section className="change" aria-label={title}>
      <h3>{title}</h3>
      {none ? (
        <p className="empty">No change.</p>
      ) : (
        <ul>
          {change.added.map((k) => (
            <li key={`+${k}`} className="added">
              + {k}
            </li>
          ))}
          {change.removed.map((k) => (
            <li key={`-${k}`} className="removed">
              − {k}
            </li>
          ))}
          {change.changed.map((c) => (
            <li key={`~${c.key}`} className="changed">
              ~ {c.key}: {JSON.stringify(c.from)} → {JSON.stringify(c.to)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Two versions side by side: files, config schema and defaults, dependencies, metrics, then both manifests. */
export function Compare() {
  const q = new URLSearchParams(useSearch());
  const from = q.get('from') ?? '';
  const to = q.get('to') ?? '';
  const diff = useQuery('versions.diff', { from, to }, [from, to]).answer;
  const left = useQuery('models.show', { ref: from }, [from]).answer;
  const right = useQuery('models.show', { ref: to }, [to]).answer;
  return (
    <section aria-labelledby="compare-title">
      <h2 id="compare-title">
        Compare {from} with {to}
      </h2>
      <Loaded answer={diff}>
        {(d) => (
          <div className="changes">
            <Changes title="Files" change={d.components} />
            <Changes title="Config schema" change={d.configSchema} />
            <Changes title="Config defaults" change={d.configDefaults} />
            <Changes title="Dependencies" change={d.dependencies} />
            <Changes title="Metrics" change={d.metrics} />
          </div>
        )}
      </Loaded>
      <div className="side-by-side">
        {[left, right].map((a, i) => (
          <Loaded key={i} answer={a}>
            {(s) => (s.kind === 'version' ? <Json value={s.version.manifest} label={`Manifest of ${s.version.ref}`} /> : null)}
          </Loaded>
        ))}
      </div>
    </section>
  );
}
