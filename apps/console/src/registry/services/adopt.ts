import { AirlockError, canonicalJson } from '@airlock/shared/common';
import { mutate, verifyAuditChain } from '../audit.js';
import type { SigningActor } from '../auth.js';
import type { Registry } from '../context.js';
import { noteAllRows } from '../db/seals.js';
import { needsAdoption } from '../integrity/adoption.js';
import { rootV1KeyIds } from '../integrity/trust-anchor.js';
import { storedPolicy } from '../policy.js';
import { environments } from '../repos/environments.js';

/**
 * `airlock audit adopt`: once, for a registry begun before seals. After its chain checks out against
 * the users table (as it always was checked), an admin holding a root key of root v1 — the root every
 * host was installed with — seals every row as it stands. From then on the registry is held to its
 * seals like one created today. Adopt only a registry you trust as it is: adoption vouches for it.
 */
export function adoptRegistry(reg: Registry, actor: SigningActor) {
  if (!needsAdoption(reg)) throw new AirlockError('CONFLICT', 'This registry seals its rows already; there is nothing to adopt.');
  if (!actor.user.roles.includes('admin') || !rootV1KeyIds(reg).has(actor.signer.keyId)) {
    throw new AirlockError('FORBIDDEN', `Adopting the registry needs an admin holding a root key of root v1; ${actor.user.name}'s key is not one.`);
  }
  const chain = verifyAuditChain(reg);
  if (chain.firstBad) throw new AirlockError('AUDIT_CHAIN_BROKEN', `${chain.firstBad.message} A registry whose log does not verify cannot be adopted.`);
  return mutate(reg, actor, null, () => {
    // Policies are stored as their parsed, canonical form since seals: a policy written before (without
    // the defaults added since) is rewritten to that form, the same policy, so that evidence computed
    // from it matches what is sealed.
    const normalised: string[] = [];
    for (const env of environments.list(reg.db)) {
      const canonical = canonicalJson(storedPolicy(env));
      if (canonical !== env.policy) {
        environments.setPolicy(reg.db, env.id, canonical);
        normalised.push(env.name);
      }
    }
    noteAllRows(reg.db);
    return { result: { events: chain.checked, normalised }, audit: { action: 'registry.adopt', subject: 'registry', details: { events: chain.checked, head: chain.head, normalised } } };
  });
}
