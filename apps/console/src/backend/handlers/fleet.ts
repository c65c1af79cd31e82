import { lstat, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AirlockError, parseEnvelope } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import { createDeployment, exportBundle, exportDepot, listDeployments, previewExport } from '../../registry/services/deployments.js';
import { fleet, hostHistory } from '../../registry/services/fleet.js';
import { issueHostReset } from '../../registry/services/host-resets.js';
import { assignHost, enrollHost, listHosts, revokeHost } from '../../registry/services/hosts.js';
import { importReports } from '../../registry/services/reports.js';
import { authoriseRollback, cosignRollbackAuthorisation } from '../../registry/services/rollback-authorisations.js';
import type { Progress } from '../../api/call.js';
import type { Handlers } from '../handler.js';

const counted = (phase: string, unit: Progress['unit'], progress: (p: Progress) => void) => (done: number, total: number) => progress({ phase, done, total, unit });

/** A reset file is never overwritten: the one already there may be the one on its way to the host. */
const resetExists = (file: string) => new AirlockError('ALREADY_EXISTS', `${file} already exists: a host reset is never overwritten; write it to a new file.`);

export const fleetHandlers: Handlers<
  'hosts.list' | 'hosts.history' | 'hosts.enroll' | 'hosts.assign' | 'hosts.revoke' | 'hosts.reset' | 'fleet.show' | 'deployments.list' | 'deployments.create' | 'bundles.preview' | 'bundles.export' | 'depot.export' | 'reports.import' | 'rollbacks.authorise' | 'rollbacks.cosign'
> = {
  'hosts.list': ({ reg, actor }) => listHosts(reg, actor),
  'hosts.history': ({ reg, actor }, { host, limit }) => hostHistory(reg, actor, host, limit),
  'hosts.enroll': async ({ reg, actor }, { path }) => enrollHost(reg, actor, await readFile(path), path),
  'hosts.assign': ({ reg, actor }, { host, environment, labels }) => assignHost(reg, actor, host, environment, labels),
  'hosts.revoke': ({ reg, actor }, { host, reason }) => revokeHost(reg, actor, host, reason),
  'hosts.reset': async ({ reg, actor }, { host, reason, validHours, out }) => {
    const file = resolve(out);
    // Refused before signing, so a taken name costs no audited reset; the exclusive write still guards a race.
    if (await lstat(file).then(() => true, () => false)) throw resetExists(file);
    const { reset, envelope } = await issueHostReset(reg, actor, { host, reason, validHours });
    await writeFileAtomic(file, `${JSON.stringify(envelope, null, 2)}\n`, { mode: 0o644, exclusive: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw resetExists(file);
      throw new AirlockError('IO_ERROR', `Cannot write the host reset to ${file}: ${err.code ?? err.message}. Check that the folder exists and is writable, then issue it again.`);
    });
    return { ...reset, file };
  },
  'fleet.show': ({ reg, actor }, { staleAfterMinutes }) => fleet(reg, actor, { staleAfterMinutes }),
  'deployments.list': ({ reg, actor }) => listDeployments(reg, actor),
  'deployments.create': ({ reg, actor }, { environment, ...rest }) => createDeployment(reg, actor, { ...rest, env: environment }),
  'bundles.preview': ({ reg, actor }, { deployment, delta }) => previewExport(reg, actor, deployment, delta),
  'bundles.export': ({ reg, actor, progress, signal }, { deployment, out, delta, mkdir }) => exportBundle(reg, actor, deployment, resolve(out), { delta, mkdir, signal, onProgress: counted('export', 'bytes', progress) }),
  'depot.export': ({ reg, actor, progress, signal }, { out, mkdir }) => exportDepot(reg, actor, resolve(out), { mkdir, signal, onProgress: counted('export', 'bytes', progress) }),
  'reports.import': ({ reg, actor, progress, signal }, { dir }) => importReports(reg, actor, resolve(dir), { signal, onProgress: counted('reports', 'items', progress) }),
  'rollbacks.cosign': async ({ reg, actor }, { path }) => {
    const file = resolve(path);
    const text = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new AirlockError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `Cannot read the authorisation ${file}: ${err.code ?? err.message}.`);
    });
    const r = await cosignRollbackAuthorisation(reg, actor, parseEnvelope(text, `rollback authorisation ${file}`));
    await writeFileAtomic(file, `${JSON.stringify(r.envelope, null, 2)}\n`, { mode: 0o644 });
    return { ...r.authorisation, file, signatures: r.signatures, threshold: r.threshold };
  },
  'rollbacks.authorise': async ({ reg, actor }, { environment, validHours, out, ...rest }) => {
    const { authorisation, envelope } = await authoriseRollback(reg, actor, { ...rest, validHours, ...(environment ? { env: environment } : {}) });
    const file = resolve(out);
    await writeFileAtomic(file, `${JSON.stringify(envelope, null, 2)}\n`, { mode: 0o644 });
    return { ...authorisation, file };
  },
};
