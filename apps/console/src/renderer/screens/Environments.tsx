import { useState } from 'react';
import { PolicySchema } from '../../api/policy.js';
import { Action, field } from '../components/Action.js';
import { Json } from '../components/Json.js';
import { Loaded } from '../components/Loaded.js';
import { Table } from '../components/Table.js';
import { useQuery } from '../use-call.js';

const json = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return { code: 'INVALID_INPUT', message: `${what} must be JSON.` };
  }
};

/** Environments: tiers, policies, secret names (never values), what is active, and config overlays checked against the version's schema. */
export function Environments() {
  const { answer, reload } = useQuery('environments.list', {});
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <section aria-labelledby="environments-title">
      <h2 id="environments-title">Environments</h2>
      <Loaded answer={answer}>
        {(envs) => (
          <Table
            caption="Environments"
            empty="No environment yet."
            rows={envs}
            rowKey={(e) => e.name}
            columns={[
              {
                header: 'Name',
                cell: (e) => (
                  <button type="button" className="link" onClick={() => setSelected(e.name)}>
                    {e.name}
                  </button>
                ),
              },
              { header: 'Tier', cell: (e) => e.tier },
              { header: 'Approvals', cell: (e) => e.policy.approvals },
              { header: 'Required suites', cell: (e) => e.policy.requiredSuites.map((s) => s.suite).join(', ') || '–' },
              { header: 'Secrets', cell: (e) => e.secrets.join(', ') || '–' },
            ]}
          />
        )}
      </Loaded>
      {selected && <Environment name={selected} />}
      <h3>New environment</h3>
      <Action
        name="environments.create"
        label="Create environment"
        input={(f) => {
          const policy = json(field(f, 'policy') || '{}', 'The policy');
          if (policy && typeof policy === 'object' && 'code' in policy) return policy as never;
          return { name: field(f, 'name'), tier: Number(field(f, 'tier')), policy: policy as never, secrets: field(f, 'secrets').split(',').map((s) => s.trim()).filter(Boolean) };
        }}
        onDone={reload}
        describe={(e) => `Created ${e.name} (tier ${e.tier}).`}
      >
        <label className="field">
          Name <input name="name" required />
        </label>
        <label className="field">
          Tier <input name="tier" type="number" min={0} max={100} defaultValue={0} />
        </label>
        <label className="field">
          Policy (JSON) <textarea name="policy" rows={3} defaultValue={JSON.stringify(PolicySchema.parse({}))} />
        </label>
        <label className="field">
          Secret names (comma-separated) <input name="secrets" />
        </label>
      </Action>
    </section>
  );
}

function Environment({ name }: { name: string }) {
  const { answer, reload } = useQuery('environments.show', { name }, [name]);
  return (
    <Loaded answer={answer}>
      {(e) => (
        <section aria-labelledby="environment-title" className="panel">
          <h3 id="environment-title">{e.name}</h3>
          <p>Active: {e.active.map((a) => `${a.model}@${a.number}`).join(', ') || 'nothing yet'}</p>
          <Json value={e.policy} label={`Policy of ${e.name}`} />
          <Action
            name="environments.setOverlay"
            label="Set config overlay"
            input={(f) => {
              const config = json(field(f, 'config'), 'The overlay');
              if (config && typeof config === 'object' && 'code' in config) return config as never;
              return { environment: name, model: field(f, 'model'), config: config as Record<string, unknown> };
            }}
            onDone={reload}
            describe={(r) => `Overlay of ${r.model} in ${r.environment} set.`}
          >
            <label className="field">
              Model <input name="model" required />
            </label>
            <label className="field">
              Overlay (JSON, checked against the model's config schema) <textarea name="config" rows={3} defaultValue="{}" />
            </label>
          </Action>
        </section>
      )}
    </Loaded>
  );
}
