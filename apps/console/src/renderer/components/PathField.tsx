import type { DialogKind } from '../../api/bridge.js';
import { transport } from '../transport.js';

/**
 * A path on the registry's machine: chosen in a native dialog in the desktop app (the only paths main
 * lets a call use), typed on the web (the server checks it: absolute, outside the registry, readable).
 */
export function PathField({ label, name, kind, value, onChange, optional = false }: { label: string; name: string; kind: DialogKind; value: string; onChange: (path: string) => void; optional?: boolean }) {
  const choose = transport.choosePath;
  return (
    <label className="field">
      {label}
      <span className="path-field">
        <input name={name} value={value} onChange={(e) => onChange(e.target.value)} readOnly={choose !== undefined} placeholder={choose ? 'choose…' : '/absolute/path'} required={!optional} />
        {choose && (
          <button type="button" onClick={() => void choose(kind).then((p) => p && onChange(p))}>
            Choose…
          </button>
        )}
      </span>
    </label>
  );
}
