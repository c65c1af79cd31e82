import { AirlockError, type Root } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import type { Actor } from '../auth.js';
import type { Registry } from '../context.js';
import { readRoots } from '../roots.js';

export interface RootSummary {
  version: number;
  expiresAt: string;
  /** key ids per role, with each role's threshold */
  roles: Record<keyof Root['roles'], { threshold: number; keyIds: string[] }>;
}

const summary = (root: Root): RootSummary => ({
  version: root.version,
  expiresAt: root.expiresAt,
  roles: {
    root: { threshold: root.roles.root.threshold, keyIds: root.roles.root.keyids },
    release: { threshold: root.roles.release.threshold, keyIds: root.roles.release.keyids },
    approver: { threshold: root.roles.approver.threshold, keyIds: root.roles.approver.keyids },
  },
});

/** Every root of trust this registry signed, oldest first: which keys each role trusts, and until when. */
export async function listRoots(reg: Registry, _actor: Actor): Promise<RootSummary[]> {
  return (await readRoots(reg.home)).map((r) => summary(r.root));
}

/**
 * `airlock root export`: a root of trust as agents take it (`airlock-agent init --root FILE`), the
 * newest by default. Each file is checked to be self-signed before it is written out.
 */
export async function exportRoot(reg: Registry, _actor: Actor, opts: { version?: number; out: string }): Promise<RootSummary & { path: string }> {
  const roots = await readRoots(reg.home);
  const chosen = opts.version === undefined ? roots.at(-1) : roots.find((r) => r.root.version === opts.version);
  if (!chosen) throw new AirlockError('NOT_FOUND', `This registry has no root version ${opts.version}; it has ${roots.map((r) => r.root.version).join(', ') || 'none'}.`);
  await writeFileAtomic(opts.out, `${JSON.stringify(chosen.envelope, null, 2)}\n`, { exclusive: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new AirlockError('ALREADY_EXISTS', `${opts.out} already exists; choose another file or remove it first.`);
    throw new AirlockError('IO_ERROR', `Cannot write ${opts.out}: ${err.code ?? err.message}. Check that the folder exists and is writable.`);
  });
  return { ...summary(chosen.root), path: opts.out };
}
