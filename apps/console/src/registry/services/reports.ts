import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AirlockError,
  canonicalJson,
  fromBase64,
  isAirlockError,
  parseEnvelope,
  REPORT_PAYLOAD_TYPE,
  ReportSchema,
  sha256Hex,
  toErrorData,
  utf8Decode,
  utf8Encode,
  type Report,
} from '@airlock/shared/common';
import { verifyEnvelopeNative } from '@airlock/shared/node';
import { authorize, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { ReviewKind } from '../../api/enums.js';
import type { Registry } from '../context.js';
import { deploymentHosts, deployments } from '../repos/deployments.js';
import { hosts, type HostRow } from '../repos/hosts.js';
import { reports } from '../repos/reports.js';
import { reviews } from '../repos/reviews.js';
import { openDriftReviews } from './drift.js';
import { headProblems, headOf } from './audit-anchors.js';
import { storedJson } from '../db/stored.js';

export interface ImportSummary {
  imported: number;
  duplicates: number;
  rejected: { file: string; code: string; message: string }[];
  reviews: number[];
  /** hosts that saw audit events this registry no longer has, or other ones: the log lost its tail or was rewritten */
  audit: { code: string; message: string }[];
}

/** Verifies one report envelope against its host's enrolled key; nothing in it is trusted before. */
function verifyReport(reg: Registry, bytes: Uint8Array, file: string): { report: Report; host: HostRow; digest: string; envelope: string } {
  const env = parseEnvelope(bytes, `report ${file}`);
  if (env.payloadType !== REPORT_PAYLOAD_TYPE) throw new AirlockError('REPORT_INVALID', `${file} is a "${env.payloadType}" envelope, not a report.`);
  let claimed: { hostId?: unknown };
  try {
    claimed = JSON.parse(utf8Decode(fromBase64(env.payload))) as { hostId?: unknown };
  } catch {
    throw new AirlockError('REPORT_INVALID', `${file} does not carry a JSON report.`);
  }
  const host = typeof claimed.hostId === 'string' ? hosts.active(reg.db, claimed.hostId) : undefined;
  if (!host) throw new AirlockError('HOST_UNKNOWN', `${file} claims to come from host "${String(claimed.hostId)}", which is not enrolled.`);
  const key = fromBase64(host.public_key);
  const { payload } = verifyEnvelopeNative(env, REPORT_PAYLOAD_TYPE, { keys: new Map([[host.key_id, key]]), keyIds: [host.key_id], threshold: 1 }, `report ${file}`);
  const parsed = ReportSchema.safeParse(JSON.parse(utf8Decode(payload)));
  if (!parsed.success) throw new AirlockError('REPORT_INVALID', `${file} is not a valid report: ${parsed.error.issues[0]?.message}`);
  return { report: parsed.data, host, digest: `sha256:${sha256Hex(payload)}`, envelope: canonicalJson(env) };
}

/**
 * A report from a host the registry does not know cannot be trusted, but the audit head it claims is
 * worth a warning: a log cut back to before a host's enrollment makes its reports look foreign.
 */
function unknownHostHead(reg: Registry, bytes: Uint8Array, file: string): { code: string; message: string }[] {
  try {
    const claimed = JSON.parse(utf8Decode(fromBase64(parseEnvelope(bytes, file).payload))) as { hostId?: string; body?: { auditHead?: { seq?: unknown } } };
    const seq = claimed.body?.auditHead?.seq;
    const head = headOf(reg);
    if (typeof seq !== 'number' || seq <= head.seq) return [];
    return [{ code: 'HOST_UNKNOWN', message: `${file} (unverified: host "${String(claimed.hostId)}" is not enrolled) claims to have seen audit event ${seq}, but the log ends at ${head.seq}. If that host was enrolled before, the log may have been cut: check with \`airlock audit verify --anchor FILE\`.` }];
  } catch {
    return [];
  }
}

/** What a report changes: deployment state per host, host status and inventory, review items. */
function applyReport(reg: Registry, actor: SigningActor, host: HostRow, report: Report, reviewIds: number[]): void {
  const now = reg.now();
  const openReview = (kind: ReviewKind, detail: string) => reviewIds.push(reviews.open(reg.db, { kind, subject: `host:${host.host_id}`, detail, opened_at: now, opened_by: actor.user.id }));
  if (report.kind === 'receipt') {
    const r = report.body;
    const d = deployments.byBundleId(reg.db, r.bundleId);
    const state = r.outcome === 'applied' ? 'applied' : r.outcome === 'refused' ? 'refused' : 'rolled_back';
    if (d) deploymentHosts.set(reg.db, d.id, host.id, state, r.code ?? null, now);
    if (r.outcome !== 'applied') openReview(`host_${r.outcome}`, `${host.host_id} ${r.outcome.replace('_', ' ')} bundle ${r.bundleId}${d ? ` (deployment #${d.id})` : ''}: ${r.code ?? ''} ${r.message ?? ''}`.trim());
    hosts.seen(reg.db, host.id, report.at, null);
  } else if (report.kind === 'status') {
    // The host's status is its newest status report, whatever order sticks are imported in.
    const newest = reports.newestStatus(reg.db, host.id)?.seq === report.seq;
    hosts.seen(reg.db, host.id, report.at, newest ? JSON.stringify(report.body) : null);
    openDriftReviews(reg, host, report.seq, report.body, (subject, detail) => reviewIds.push(reviews.open(reg.db, { kind: 'drift', subject, detail, opened_at: now, opened_by: actor.user.id })));
    for (const slot of report.body.slots) {
      if (!slot.healthy) openReview('host_unhealthy', `${host.host_id} slot ${slot.slot} is not serving (${slot.release ?? 'no release'}).`);
      else if (slot.digest) {
        for (const d of deploymentHosts.appliedFor(reg.db, host.id)) {
          const manifest = storedJson<{ slots: Record<string, { model: { digest: string } }> }>(d.manifest, `the manifest of deployment #${d.deployment_id}`);
          if (manifest.slots[slot.slot]?.model.digest === slot.digest) deploymentHosts.set(reg.db, d.deployment_id, host.id, 'healthy', null, now);
        }
      }
    }
  } else {
    hosts.seen(reg.db, host.id, report.at, null);
  }
}

/**
 * Imports every report in a folder (e.g. the USB stick back from the hosts). Each is verified against
 * its host's enrolled key and stored once by digest: importing the same stick again changes nothing.
 */
/**
 * Reads, verifies and records every report in `dir` as one change. `onProgress` counts files read;
 * aborting `signal` while reading stops before anything is recorded.
 */
export async function importReports(reg: Registry, actor: SigningActor, dir: string, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<ImportSummary> {
  authorize(actor, 'reports.import');
  const files = (await readdir(dir).catch(() => {
    throw new AirlockError('NOT_FOUND', `Cannot read the folder ${dir}.`);
  })).filter((f) => f.endsWith('.json') && !f.endsWith('.enrollment.json')).sort();
  const summary: ImportSummary = { imported: 0, duplicates: 0, rejected: [], reviews: [], audit: [] };
  const verified: (ReturnType<typeof verifyReport> & { file: string })[] = [];
  for (const [i, file] of files.entries()) {
    opts.signal?.throwIfAborted();
    opts.onProgress?.(i, files.length);
    let bytes: Uint8Array = new Uint8Array();
    try {
      bytes = utf8Encode(await readFile(join(dir, file), 'utf8'));
      verified.push({ ...verifyReport(reg, bytes, file), file });
    } catch (err) {
      if (!isAirlockError(err) && !(err instanceof SyntaxError)) throw err;
      const e = toErrorData(err);
      summary.rejected.push({ file, code: e.code, message: e.message });
      if (e.code === 'HOST_UNKNOWN') summary.audit.push(...unknownHostHead(reg, bytes, file));
    }
  }
  // One import is one change: every new report and its effects land together, under one audit event.
  const digests: string[] = [];
  mutate(reg, actor, 'reports.import', () => {
    for (const { report, host, digest, file, envelope } of verified) {
      if (reports.byDigest(reg.db, digest)) {
        summary.duplicates++;
        continue;
      }
      if (reports.bySeq(reg.db, host.id, report.seq)) {
        summary.rejected.push({ file, code: 'REPORT_INVALID', message: `${host.host_id} already reported #${report.seq} with other content.` });
        continue;
      }
      reports.insert(reg.db, { digest, host: host.id, seq: report.seq, kind: report.kind, at: report.at, body: JSON.stringify(report.body), imported_at: reg.now(), envelope });
      applyReport(reg, actor, host, report, summary.reviews);
      if (report.kind === 'status' && report.body.auditHead) {
        for (const p of headProblems(reg, headOf(reg), [{ source: `host ${host.host_id} (status report #${report.seq})`, head: report.body.auditHead }])) {
          summary.audit.push({ code: p.code, message: p.message });
          summary.reviews.push(reviews.open(reg.db, { kind: 'audit_anchor', subject: 'audit', detail: p.message, opened_at: reg.now(), opened_by: actor.user.id }));
        }
      }
      digests.push(digest);
      summary.imported++;
    }
    return { result: undefined, audit: digests.length ? { action: 'reports.import', subject: `folder:${dir}`, details: { reports: digests.length, digests, reviews: summary.reviews } } : null };
  });
  return summary;
}
