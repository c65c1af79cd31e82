import { AirlockError } from '@airlock/shared/common';
import type { Permission } from '../../api/permissions.js';
import { authorize, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { assertVersionTransition } from '../lifecycle.js';
import { components } from '../repos/components.js';
import { dependencies } from '../repos/dependencies.js';
import { reviews } from '../repos/reviews.js';
import type { VersionState } from '../../api/enums.js';
import { versionStatus } from '../repos/version-status.js';
import { versions } from '../repos/versions.js';
import { refOf, resolveVersion } from './refs.js';

/** Who may move a version into each state: a quarantine is lifted (back to registered) by those who may impose one. */
const PERMISSION_FOR: Record<VersionState, Permission> = {
  registered: 'version.quarantine',
  validated: 'version.lifecycle',
  deprecated: 'version.lifecycle',
  retired: 'version.lifecycle',
  quarantined: 'version.quarantine',
  revoked: 'version.revoke',
};

/**
 * Moves a version through its global lifecycle. Validation re-checks that every component is in the
 * blob store with its size; revocation flags every version that depends on it (transitively) and
 * opens a review item for each.
 */
export async function transitionVersion(reg: Registry, actor: SigningActor, ref: string, to: VersionState, reason: string) {
  authorize(actor, PERMISSION_FOR[to]);
  const target = resolveVersion(reg, ref);
  if (to === 'validated') {
    for (const c of components.of(reg.db, target.id)) {
      if (!(await reg.store.has(c.digest)) || (await reg.store.size(c.digest)) !== c.size) {
        throw new AirlockError('INTEGRITY_FAILED', `${refOf(target)} cannot be validated: component ${c.path} (${c.digest}) is missing or damaged in the blob store.`);
      }
    }
  }
  return mutate(reg, actor, PERMISSION_FOR[to], () => {
    const v = versions.byId(reg.db, target.id)!;
    assertVersionTransition(v.state as VersionState, to);
    const now = reg.now();
    versionStatus.set(reg.db, v.id, to, now);
    const flagged: string[] = [];
    if (to === 'revoked') {
      const queue = [v.digest];
      const seen = new Set<number>();
      while (queue.length > 0) {
        for (const id of dependencies.dependents(reg.db, queue.shift()!)) {
          if (seen.has(id)) continue;
          seen.add(id);
          const dep = versions.byId(reg.db, id)!;
          versionStatus.flag(reg.db, id, `depends on revoked ${refOf(v)}`);
          reviews.open(reg.db, { kind: 'dependency_revoked', subject: `version:${refOf(dep)}`, detail: `${refOf(dep)} depends on ${refOf(v)}, which was revoked: ${reason}`, opened_at: now, opened_by: actor.user.id });
          flagged.push(refOf(dep));
          queue.push(dep.digest);
        }
      }
    }
    return {
      result: { ref: refOf(v), from: v.state, to, flaggedDependents: flagged },
      audit: { action: `version.${to}`, subject: `version:${refOf(v)}`, details: { from: v.state, reason, flaggedDependents: flagged } },
    };
  });
}
