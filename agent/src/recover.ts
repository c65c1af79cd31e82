import { readdir, readFile } from 'node:fs/promises';
import {
  AirlockError,
  HOST_RESET_PAYLOAD_TYPE,
  HOST_RESET_SCHEMA,
  HostResetSchema,
  isAirlockError,
  parseEnvelope,
  parseVersionedJson,
  roleKeys,
  verifyEnvelope,
  type HostReset,
  type Root,
} from '@airlock/shared/common';
import { HostAuditLog, readChain } from './state/audit-log.js';
import { countersBehind, countersFile, initialCounters, raisedTo, TrustChangeSchema, type Counters, type TrustChange } from './state/counters.js';
import { loadIdentity } from './state/identity.js';
import { lockStateDir } from './state/lock.js';
import type { StateLayout } from './state/layout.js';
import { trustedRoot } from './state/roots.js';
import { gatherWitnesses } from './state/witnesses.js';

export interface Recovery {
  source: 'audit log' | 'reset' | 'audit log and reset';
  counters: Counters;
  resetId?: string;
}

/** The highest report sequence in the outbox: new reports must continue after it or the registry drops them. */
async function outboxSeq(layout: StateLayout): Promise<number> {
  const names = await readdir(layout.outbox).catch(() => [] as string[]);
  return Math.max(0, ...names.map((n) => Number(/-(\d{8})-[a-z]+\.json$/.exec(n)?.[1] ?? 0)));
}

/** The newest root this host holds whose file verifies: used only when no counters say which one it trusted. */
async function newestRoot(layout: StateLayout): Promise<Root> {
  const versions = (await readdir(layout.roots).catch(() => [] as string[])).flatMap((n) => /^([1-9][0-9]*)\.root\.json$/.exec(n)?.[1] ?? []).map(Number).sort((a, b) => b - a);
  for (const v of versions) {
    const root = await trustedRoot(layout, v).catch(() => null);
    if (root) return root;
  }
  throw new AirlockError('STATE_DAMAGED', `No root file in ${layout.roots} verifies; re-initialise the host with \`airlock-agent init\`.`);
}

async function readReset(path: string, root: Root, hostId: string, nowMs: number): Promise<HostReset> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new AirlockError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `Cannot read the host reset ${path}: ${err.message}`);
  });
  let reset: HostReset;
  try {
    const { payload } = verifyEnvelope(parseEnvelope(bytes, `host reset ${path}`), HOST_RESET_PAYLOAD_TYPE, roleKeys(root, 'release'), 'host reset');
    reset = parseVersionedJson(payload, { schemaId: HOST_RESET_SCHEMA, schema: HostResetSchema, what: 'host reset', invalid: 'RESET_INVALID', unsupported: 'RESET_INVALID' });
  } catch (err) {
    throw isAirlockError(err) ? new AirlockError('RESET_INVALID', `${path} is not a host reset this host can trust: ${err.message}`) : err;
  }
  if (reset.hostId !== hostId) throw new AirlockError('NOT_TARGETED', `The host reset ${reset.id} is for host ${reset.hostId}; this is ${hostId}.`);
  if (Date.parse(reset.expiresAt) <= nowMs) throw new AirlockError('RESET_INVALID', `The host reset ${reset.id} expired at ${reset.expiresAt}; ask an admin for a new one.`);
  return reset;
}

/**
 * Rebuilds lost or damaged trust counters, offline (the agent must be stopped). From the host's own
 * audit log when its whole chain verifies: every trust change was logged before it was saved, so the
 * last logged one is at least what the file held. Otherwise only with a host reset the registry signed
 * (release role), for this host, unexpired; when both exist the higher value of each wins, so a
 * recovery never lowers what the host knew.
 */
export async function recoverCounters(layout: StateLayout, opts: { resetFile?: string; nowMs?: number } = {}): Promise<Recovery> {
  // Holding the agent's own lock: no agent can start on the directory while its counters are rebuilt.
  const unlock = await lockStateDir(layout.dir);
  try {
    return await rebuild(layout, opts);
  } finally {
    await unlock();
  }
}

async function rebuild(layout: StateLayout, opts: { resetFile?: string; nowMs?: number }): Promise<Recovery> {
  const file = countersFile(layout);
  const identity = await loadIdentity(layout);
  const chain = await readChain(layout.audit, identity.keyPair.publicKey);
  const witnesses = await gatherWitnesses(layout, identity.keyPair.publicKey);
  // The chain's own last trust change, when the whole chain verifies, is the newest: it alone may rebuild.
  const loggedEvent = chain.damage ? undefined : chain.events.filter((e) => e.action === 'counters').at(-1);
  const logged: TrustChange | null = loggedEvent ? TrustChangeSchema.parse(loggedEvent.detail) : null;
  const current = await file.read().catch((err: unknown) => (isAirlockError(err) && err.code === 'STATE_DAMAGED' ? null : Promise.reject(err)));
  if (current && !witnesses.logged.some((w) => countersBehind(current, w))) {
    throw new AirlockError('CONFLICT', `The trust counters in ${file.path} are intact; recover only rebuilds missing, damaged or outdated counters.`);
  }
  if (!opts.resetFile && !logged) {
    const why = chain.damage ? `its audit log is damaged (${chain.damage.file}${chain.damage.line ? `, line ${chain.damage.line}` : ''}: ${chain.damage.reason})` : 'its audit log records no trust counters';
    throw new AirlockError('STATE_DAMAGED', `This host's counters cannot be rebuilt because ${why}. Ask an admin for \`airlock host reset ${identity.hostId} --reason TEXT --out FILE\` and run \`airlock-agent recover --reset FILE\`.`);
  }
  const rootVersion = Math.max(0, ...witnesses.logged.map((w) => w.rootVersion));
  const root = rootVersion > 0 ? await trustedRoot(layout, rootVersion) : await newestRoot(layout);
  const nowMs = opts.nowMs ?? Date.now();
  const reset = opts.resetFile ? await readReset(opts.resetFile, root, identity.hostId, nowMs) : null;
  // Every recovery the host signed is a witness, damaged chain or not: a reset is spent once.
  if (reset && witnesses.resetsUsed.has(reset.id)) throw new AirlockError('RESET_INVALID', `The host reset ${reset.id} was already used on this host; ask an admin for a new one.`);
  // Every witness only raises the result: the log (every trust change it signed), the reset, the releases on disk.
  const start: Counters = { ...initialCounters(root.version), ...(logged ?? {}), reportSeq: 0, auditSeq: 0 };
  let trust = raisedTo(start, { ...start, channels: witnesses.releases.channels, floors: witnesses.releases.floors });
  for (const w of witnesses.logged) trust = raisedTo(trust, w);
  if (reset) {
    trust = raisedTo(trust, { ...trust, channels: reset.channels, floors: reset.floors, highWaterMs: Date.parse(reset.issuedAt) });
    // A reset is spent like an authorisation: remembered until it expires.
    trust.usedAuthorisations[reset.id] = Date.parse(reset.expiresAt);
  }
  const { reportSeq: _r, auditSeq: _a, ...change } = trust;
  const reportSeq = Math.max(await outboxSeq(layout), reset?.reportSeq ?? 0, current?.reportSeq ?? 0);
  const source = reset && logged ? 'audit log and reset' : reset ? 'reset' : 'audit log';
  const audit = await HostAuditLog.open(layout.audit, identity.keyPair, witnesses.highestSeq);
  await audit.append('counters', { ...change });
  const event = await audit.append('counters.recovered', { source, ...(reset ? { reset: reset.id, issuedBy: reset.issuedBy, reason: reset.reason } : {}) });
  const counters: Counters = { ...trust, reportSeq, auditSeq: event.seq };
  await file.write(counters);
  return { source, counters, ...(reset ? { resetId: reset.id } : {}) };
}
