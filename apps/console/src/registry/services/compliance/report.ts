import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AirlockError, fromBase64, signEnvelope, utf8Decode, utf8Encode, verifyEnvelope, type Envelope } from '@airlock/shared/common';
import { writeFileAtomic } from '@airlock/shared/node';
import type { Actor, SigningActor } from '../../auth.js';
import type { Registry } from '../../context.js';
import { auditEvents } from '../../repos/audit-events.js';
import { users } from '../../repos/users.js';
import { headOf } from '../audit-anchors.js';
import { collectCompliance } from './collect.js';
import { renderComplianceHtml } from './render-html.js';
import { ComplianceStatementSchema, type ComplianceStatement } from '../../../api/compliance.js';

export const COMPLIANCE_PAYLOAD_TYPE = 'application/vnd.airlock.compliance-report+json';


const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}` as const;
export const signaturePathOf = (file: string) => `${file}.sig.json`;

/** Chromium prints the PDF (headless, no network): Debian's by default, another with AIRLOCK_CHROMIUM. */
async function printPdf(html: string, out: string): Promise<void> {
  const chromium = process.env.AIRLOCK_CHROMIUM ?? '/usr/bin/chromium';
  await access(chromium, constants.X_OK).catch(() => {
    throw new AirlockError('NOT_FOUND', `A PDF is printed by Chromium, which is not at ${chromium}: install it (Debian: chromium), set AIRLOCK_CHROMIUM, or write the report as .html.`);
  });
  const dir = await mkdtemp(join(tmpdir(), 'airlock-report-'));
  try {
    const page = join(dir, 'report.html');
    await writeFile(page, html);
    const pdf = join(dir, 'report.pdf');
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-pdf-header-footer', `--user-data-dir=${join(dir, 'profile')}`, `--print-to-pdf=${pdf}`, pathToFileURL(page).href];
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(err) : reject(new AirlockError('IO_ERROR', `Chromium could not print the report (exit ${code}): ${err.trim().split('\n').at(-1) ?? ''}`))));
    });
    const bytes = await readFile(pdf).catch(() => {
      throw new AirlockError('IO_ERROR', `Chromium printed no PDF: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    });
    await writeFileAtomic(out, bytes, { exclusive: true });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `airlock report compliance`: the environment's report as HTML (reproducible: the same registry and
 * question give the same bytes) or PDF (printed from that HTML), and beside it `FILE.sig.json`, the
 * issuer's DSSE signature over the file's digest and what it covers. Like an audit anchor, issuing
 * one changes nothing in the registry, so it writes no audit event: the log's head stays where the
 * report says it was drawn, and the same person asking again gets the same HTML, byte for byte.
 */
export async function issueComplianceReport(reg: Registry, actor: SigningActor, input: { env: string; since?: string; out: string }) {
  const format = extname(input.out).toLowerCase() === '.pdf' ? 'pdf' : extname(input.out).toLowerCase() === '.html' ? 'html' : null;
  if (!format) throw new AirlockError('USAGE', `Name the report FILE.html or FILE.pdf; "${basename(input.out)}" is neither.`);
  const data = await collectCompliance(reg, actor, input);
  const html = renderComplianceHtml(data, { name: actor.user.name, keyId: actor.signer.keyId });
  const exists = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new AirlockError('ALREADY_EXISTS', `${input.out} already exists; a report is never overwritten.`);
    throw err;
  };
  if (format === 'html') await writeFileAtomic(input.out, html, { exclusive: true }).catch(exists);
  else await printPdf(html, input.out).catch(exists);
  const digest = digestOf(await readFile(input.out));
  const statement: ComplianceStatement = {
    schema: 'airlock.compliance-report/v1',
    file: basename(input.out),
    digest,
    format,
    environment: data.environment.name,
    since: data.since,
    asOf: { seq: data.asOf.seq, hash: data.asOf.hash },
    issuedBy: actor.user.name,
    issuedAt: reg.now(),
  };
  const envelope = signEnvelope(COMPLIANCE_PAYLOAD_TYPE, utf8Encode(JSON.stringify(statement)), [actor.signer]);
  const signature = signaturePathOf(input.out);
  await writeFileAtomic(signature, `${JSON.stringify(envelope, null, 2)}\n`);
  return { path: input.out, signature, ...statement, sections: [...SECTIONS], problems: data.audit.problems.length };
}

/** The sections every report has, by id: what a reader (or a test) can rely on. */
export const SECTIONS = ['overview', 'versions', 'deployments', 'incidents', 'reviews', 'charts', 'audit', 'trust'] as const;

/**
 * `airlock report verify`: the file is what its issuer signed (digest), the signature is by the key
 * the registry knows for that person, who was not yet revoked when the registry stood where the report
 * says it was drawn, and that point is in this registry's audit log. When the log has not moved since
 * (and for HTML), the report is rendered again and must be the same bytes: a signed but edited report
 * (a section left out) is caught, not only an altered file.
 */
export async function verifyComplianceReport(reg: Registry, actor: Actor, input: { path: string }): Promise<ComplianceStatement & { keyId: string; reproduced: boolean }> {
  const sigPath = signaturePathOf(input.path);
  const [bytes, sigText] = await Promise.all(
    [input.path, sigPath].map((p) =>
      readFile(p).catch((err: NodeJS.ErrnoException) => {
        throw new AirlockError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `Cannot read ${p}: ${err.code ?? err.message}.`);
      }),
    ),
  );
  let envelope: Envelope;
  let claimed: ComplianceStatement;
  try {
    envelope = JSON.parse(sigText!.toString('utf8')) as Envelope;
    claimed = ComplianceStatementSchema.parse(JSON.parse(utf8Decode(fromBase64(envelope.payload))));
  } catch {
    throw new AirlockError('ENVELOPE_INVALID', `${sigPath} is not the signature of an Airlock compliance report.`);
  }
  const issuer = users.byName(reg.db, claimed.issuedBy);
  if (!issuer) throw new AirlockError('SIGNATURE_KEY_UNKNOWN', `The report names its issuer "${claimed.issuedBy}", whom this registry does not know.`);
  verifyEnvelope(envelope, COMPLIANCE_PAYLOAD_TYPE, { keys: new Map([[issuer.key_id, fromBase64(issuer.public_key)]]), keyIds: [issuer.key_id], threshold: 1 }, 'compliance report signature');
  if (digestOf(bytes!) !== claimed.digest) throw new AirlockError('INTEGRITY_FAILED', `${input.path} is not the report ${claimed.issuedBy} signed: its digest differs. It was altered or replaced.`);
  const drawnAt = auditEvents.bySeq(reg.db, claimed.asOf.seq);
  if (!drawnAt || drawnAt.hash !== claimed.asOf.hash) {
    throw new AirlockError('INTEGRITY_FAILED', `The report says it was drawn at audit event ${claimed.asOf.seq} (${claimed.asOf.hash.slice(0, 16)}…), which this registry's log does not hold: it is not a report of this registry.`);
  }
  if (issuer.disabled_at !== null && issuer.disabled_at <= drawnAt.at) {
    throw new AirlockError('INTEGRITY_FAILED', `${claimed.issuedBy} was revoked at ${issuer.disabled_at}, before the registry stood where the report says it was drawn (${drawnAt.at}): they could not have issued it.`);
  }
  let reproduced = false;
  if (claimed.format === 'html' && headOf(reg).seq === claimed.asOf.seq) {
    const data = await collectCompliance(reg, actor, { env: claimed.environment, ...(claimed.since ? { since: claimed.since } : {}) });
    const again = digestOf(utf8Encode(renderComplianceHtml(data, { name: issuer.name, keyId: issuer.key_id })));
    if (again !== claimed.digest) throw new AirlockError('INTEGRITY_FAILED', `${input.path} is signed by ${claimed.issuedBy}, but it is not what the registry renders for ${claimed.environment} at audit event ${claimed.asOf.seq}: something was changed before it was signed.`);
    reproduced = true;
  }
  return { ...claimed, keyId: issuer.key_id, reproduced };
}
