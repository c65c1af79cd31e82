import { ROLES } from '../../api/enums.js';
import { Action, field } from '../components/Action.js';
import { Loaded } from '../components/Loaded.js';
import { RootCeremony } from '../components/RootCeremony.js';
import { Table } from '../components/Table.js';
import { useQuery } from '../use-call.js';

/** People and their roles, and the root of trust: its versions, which keys each role trusts, and the ceremonies that change it. */
export function Users() {
  const users = useQuery('users.list', {});
  const roots = useQuery('roots.list', {});
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users and keys</h2>
      <Loaded answer={users.answer}>
        {(rows) => (
          <Table
            caption="Users"
            empty="No users."
            rows={rows}
            rowKey={(u) => u.name}
            columns={[
              { header: 'Name', cell: (u) => u.name },
              { header: 'Roles', cell: (u) => u.roles.join(', ') },
              { header: 'Key', cell: (u) => <code>{u.keyId.slice(0, 16)}…</code> },
              { header: 'Since', cell: (u) => u.createdAt.slice(0, 10) },
              { header: 'Status', cell: (u) => (u.disabled ? 'disabled' : 'active') },
            ]}
          />
        )}
      </Loaded>
      <h3>Add a person</h3>
      <Action name="users.add" label="Add user" input={(f) => ({ name: field(f, 'name'), roles: ROLES.filter((r) => f.get(`role-${r}`) === 'on'), passphrase: String(f.get('passphrase') ?? '') })} onDone={() => (users.reload(), roots.reload())} describe={(u) => `Added ${u.name}.`}>
        <label className="field">
          Name <input name="name" required />
        </label>
        <fieldset>
          <legend>Roles</legend>
          {ROLES.map((r) => (
            <label key={r} className="check">
              <input type="checkbox" name={`role-${r}`} /> {r}
            </label>
          ))}
        </fieldset>
        <label className="field">
          Their passphrase (they can change it later) <input name="passphrase" type="password" autoComplete="new-password" required />
        </label>
      </Action>
      <h3>Root of trust</h3>
      <Loaded answer={roots.answer}>
        {(list) => (
          <Table
            caption="Root versions"
            empty="No root."
            rows={list}
            rowKey={(r) => r.version}
            columns={[
              { header: 'Version', cell: (r) => r.version },
              { header: 'Expires', cell: (r) => r.expiresAt.slice(0, 10) },
              ...(['root', 'release', 'approver'] as const).map((role) => ({ header: `${role} keys`, cell: (r: (typeof list)[number]) => `${r.roles[role].threshold} of ${r.roles[role].keyIds.length}: ${r.roles[role].keyIds.map((k) => k.slice(0, 8)).join(', ')}` })),
            ]}
          />
        )}
      </Loaded>
      <RootCeremony people={(users.answer?.ok ? users.answer.result : []).filter((u) => !u.disabled).map((u) => u.name)} onChange={() => (users.reload(), roots.reload())} />
    </section>
  );
}
