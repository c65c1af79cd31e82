import type { ComplianceData } from './collect.js';
import { esc } from './html.js';
import { lineChart } from './svg-chart.js';

const short = (id: string) => `${id.slice(0, 16)}…`;

function table(caption: string, head: string[], rows: unknown[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  return `<table><caption>${esc(caption)}</caption><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const section = (id: string, title: string, body: string) => `<section id="${id}"><h2>${esc(title)}</h2>${body}</section>`;

const STYLE = `body{font:13px/1.45 system-ui,sans-serif;color:#111;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #ccc;margin-top:2rem}h3{font-size:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border:1px solid #ccc;padding:.2rem .4rem;text-align:left;vertical-align:top}th{background:#f2f2f2}
code,.id{font-family:ui-monospace,monospace;font-size:12px}.empty{color:#555}.bad{color:#a00;font-weight:600}.good{color:#060;font-weight:600}
@media print{section{break-inside:auto}table{page-break-inside:auto}tr{page-break-inside:avoid}}`;

/**
 * The report as one self-contained HTML file (styles inline, charts as SVG, no script): what an
 * auditor archives or prints. A pure function of the data and the issuer, so it is reproducible.
 */
export function renderComplianceHtml(d: ComplianceData, issuer: { name: string; keyId: string }): string {
  const env = d.environment;
  const policy = env.policy;
  const calendar = policy.reviews ? Object.entries(policy.reviews).map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
  const overview = `<dl>
<dt>Environment</dt><dd>${esc(env.name)} (tier ${esc(env.tier)})</dd>
<dt>Period</dt><dd>${d.since ? `since ${esc(d.since)}` : 'the whole history'} up to audit event ${esc(d.asOf.seq)}${d.asOf.at ? ` (${esc(d.asOf.at)})` : ''}</dd>
<dt>Audit head</dt><dd><code>${esc(d.asOf.hash)}</code></dd>
<dt>Issued by</dt><dd>${esc(issuer.name)}, key <code>${esc(issuer.keyId)}</code></dd>
<dt>Policy</dt><dd>${esc(policy.approvals)} approval(s); required suites: ${esc(policy.requiredSuites.map((s) => s.suite).join(', ') || 'none')}; requests expire after ${esc(policy.requestTtlHours)} h; review calendar: ${esc(calendar)}</dd>
</dl>`;

  const versions = d.versions
    .map((v) => {
      const promotions = v.promotions
        .map(
          (p) => `<h4>Promotion #${esc(p.id)}: ${esc(p.state)}${p.breakGlass ? ' (break-glass rollback)' : ''}, requested by ${esc(p.requestedBy)} at ${esc(p.createdAt)}</h4>
${p.reason ? `<p>Reason: ${esc(p.reason)}</p>` : ''}
${table(`Gates of promotion #${p.id}`, ['Gate', 'Passed', 'Detail'], p.gates.map((g) => [g.gate, g.passed ? 'yes' : 'NO', g.detail]), 'No gates (a break-glass rollback has none).')}
${table(`Decisions on promotion #${p.id}`, ['Approver', 'Decision', 'At', 'Signed by key'], p.approvals.map((a) => [a.approver, a.decision, a.at, a.keyIds.join(', ')]), 'No decisions.')}`,
        )
        .join('');
      return `<article id="version-${esc(v.ref)}"><h3>${esc(v.ref)}: ${esc(v.state)}</h3>
<p>Digest <code>${esc(v.digest)}</code>; imported by ${esc(v.createdBy)} at ${esc(v.createdAt)}.</p>
<p>Lineage: <code>${esc(JSON.stringify(v.lineage))}</code></p>
${table(`Dependencies of ${v.ref}`, ['Kind', 'Version', 'Digest', 'State'], v.dependencies.map((x) => [x.kind, x.ref ?? 'not in this registry', x.digest, x.state ?? '']), 'No governed dependencies.')}
${table(`Evaluations of ${v.ref}`, ['Suite', 'Source', 'Recorded', 'Metrics'], v.evaluations.map((e) => [e.suite, e.source, e.recordedAt, Object.entries(e.metrics).map(([k, m]) => `${k} ${m}`).join(', ')]), 'No evaluations in this period.')}
${promotions || '<p class="empty">No promotion in this period.</p>'}</article>`;
    })
    .join('');

  const deployments = table(
    'Deployments',
    ['#', 'Version', 'Sequence', 'Bundle', 'Created', 'Hosts (state, code)'],
    d.deployments.map((x) => [x.id, x.version, x.sequence, x.bundleId, x.createdAt, x.hosts.map((h) => `${h.hostId}: ${h.state}${h.code ? ` ${h.code}` : ''}`).join('; ')]),
    'No deployments in this period.',
  );
  const incidents = table('Incidents', ['Opened', 'Kind', 'Subject', 'What happened', 'Resolved by', 'Note'], d.incidents.map((i) => [i.at, i.kind, i.subject, i.detail, i.resolvedBy ?? 'open', i.note ?? '']), 'No incidents in this period.');
  const reviews = table('Reviews and drills', ['#', 'Kind', 'Subject', 'Opened', 'Resolved', 'By', 'Note'], d.reviews.map((r) => [r.id, r.kind, r.subject, r.openedAt, r.resolvedAt ?? 'open', r.resolvedBy ?? '', r.note ?? '']), 'No review items in this period.');
  const charts = [
    lineChart('p95 latency per host', 'ms', d.latency.map((l) => ({ label: l.host, points: l.points }))),
    lineChart('Largest PSI per drift window', 'PSI', d.drift.map((x) => ({ label: `${x.version} on ${x.host}`, points: x.points }))),
  ].join('');
  const audit = `<p class="${d.audit.problems.length === 0 ? 'good' : 'bad'}">${
    d.audit.problems.length === 0 ? `Intact: ${esc(d.audit.checked)} events checked (hash, link, sequence, signature), against every head the hosts reported.` : `${esc(d.audit.problems.length)} problem(s) found in ${esc(d.audit.checked)} events.`
  }</p>
<p>Head: event ${esc(d.audit.head.seq)}, <code>${esc(d.audit.head.hash)}</code>.</p>
${table('Audit problems', ['Code', 'Message'], d.audit.problems.map((p) => [p.code, p.message]), 'No problems.')}`;
  const trust = `${table(
    'Root versions',
    ['Version', 'Expires', 'Root keys', 'Release keys', 'Approver keys'],
    d.trust.roots.map((r) => [r.version, r.expiresAt, ...['root', 'release', 'approver'].map((role) => `${r.roles[role]!.threshold} of ${r.roles[role]!.keyIds.length}: ${r.roles[role]!.keyIds.map(short).join(', ')}`)]),
    'No root.',
  )}
${table('People and keys', ['Name', 'Roles', 'Key', 'Status'], d.trust.people.map((p) => [p.name, p.roles.join(', '), p.keyId, p.disabled ? 'revoked' : 'active']), 'No people.')}`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Compliance report: ${esc(env.name)}</title><style>${STYLE}</style></head>
<body><h1>Compliance report: environment ${esc(env.name)}</h1>
${section('overview', 'Overview', overview)}
${section('versions', 'Versions: lineage, evaluations, gates and approvals', versions || '<p class="empty">No version was promoted here in this period.</p>')}
${section('deployments', 'Deployments and what each host reported', deployments)}
${section('incidents', 'Incidents: rollbacks, refusals, drift', incidents)}
${section('reviews', 'Reviews and drills', reviews)}
${section('charts', 'Latency and drift over time', charts)}
${section('audit', 'Audit chain', audit)}
${section('trust', 'Keys and root of trust', trust)}
</body></html>
`;
}
