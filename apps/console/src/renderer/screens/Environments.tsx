import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import type { ErrorData } from '@airlock/shared/common';
import { PolicySchema } from '../../api/policy.js';
import { Action, field } from '../components/Action.js';
import { Json } from '../components/Json.js';
import { Loaded } from '../components/Loaded.js';
import { Table } from '../components/Table.js';
import { useCaller, useQuery } from '../use-call.js';

/** Typed JSON, or the refusal to show instead of sending it. */
const json = (text: string, what: string): { value: unknown } | { error: ErrorData } => {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { error: { code: 'INVALID_INPUT', message: `${what} must be JSON.` } };
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
          if ('error' in policy) return policy.error;
          return { name: field(f, 'name'), tier: Number(field(f, 'tier')), policy: policy.value as never, secrets: field(f, 'secrets').split(',').map((s) => s.trim()).filter(Boolean) };
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
  const [model, setModel] = useState('');
  const [overlay, setOverlay] = useState('{}');
  // The panel opens below the list: take the reader there once it has loaded.
  const heading = useRef<HTMLHeadingElement>(null);
  const loaded = answer !== null;
  useEffect(() => {
    if (loaded) heading.current?.focus();
  }, [name, loaded]);
  return (
    <Loaded answer={answer}>
      {(e) => (
        <section aria-labelledby="environment-title" className="panel">
          <h3 id="environment-title" tabIndex={-1} ref={heading}>
            {e.name}
          </h3>
          <p>Active: {e.active.map((a) => `${a.model}@${a.number}`).join(', ') || 'nothing yet'}</p>
          <Json value={e.policy} label={`Policy of ${e.name}`} />
          <Action
            name="environments.setOverlay"
            label="Set config overlay"
            input={(f) => {
              const config = json(field(f, 'config'), 'The overlay');
              if ('error' in config) return config.error;
              return { environment: name, model: field(f, 'model'), config: config.value as Record<string, unknown> };
            }}
            onDone={reload}
            describe={(r) => `Overlay of ${r.model} in ${r.environment} set.`}
          >
            <label className="field">
              Model <input name="model" required value={model} onChange={(e) => setModel(e.target.value)} />
            </label>
            <label className="field">
              Overlay (JSON, checked against the model's config schema) <textarea name="config" rows={3} value={overlay} onChange={(e) => setOverlay(e.target.value)} />
            </label>
            <OverlayCheck environment={name} model={model} overlay={overlay} />
          </Action>
        </section>
      )}
    </Loaded>
  );
}

/** As the overlay is typed: would the registry take it? The model's schema is checked there (the page runs no schema code). */
function OverlayCheck({ environment, model, overlay }: { environment: string; model: string; overlay: string }) {
  const caller = useCaller();
  const typed = useDeferredValue(useMemo(() => ({ model, overlay }), [model, overlay]));
  const [verdict, setVerdict] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    let config: unknown;
    try {
      config = JSON.parse(typed.overlay);
    } catch {
      config = null;
    }
    if (!typed.model) return setVerdict(null);
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return setVerdict('Not yet JSON: an overlay is a JSON object.');
    // Asked once typing pauses, not at every keystroke.
    const timer = setTimeout(() => {
      void caller('environments.checkOverlay', { environment, model: typed.model, config: config as Record<string, unknown> }).then((a) => {
        if (live) setVerdict(!a.ok ? `${a.error.code}: ${a.error.message}` : a.result.valid ? `Valid for ${typed.model}'s config schema.` : `${a.result.problem!.code}: ${a.result.problem!.message}`);
      });
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [caller, environment, typed]);
  return verdict ? (
    <p className="status" role="status" aria-live="polite">
      {verdict}
    </p>
  ) : null;
}
