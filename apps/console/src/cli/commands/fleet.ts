import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseLabels, type ErrorCode } from '@airlock/shared/common';
import { MAX_VALID_HOURS } from '../../api/calls/fleet.js';
import { formatBytes, plural, table } from '../output.js';
import { action, parseIntOption } from '../run.js';

export function registerFleet(program: Command, bundle: Command): void {
  const host = program.command('host').description('enrolled serving hosts');
  host
    .command('enroll')
    .description("import a host's signed enrollment request (its signature is checked)")
    .argument('<file>', '<host>.enrollment.json')
    .action(
      action(async (ctx, file: string) => {
        const r = await ctx.call('hosts.enroll', { path: resolve(file) });
        ctx.out.result(r, () => `${r.created ? 'enrolled' : 'refreshed'} ${r.hostId} (key ${r.keyId.slice(0, 16)}…)`);
      }),
    );
  host
    .command('assign')
    .description('put a host in an environment')
    .argument('<host>', 'host id')
    .requiredOption('--env <env>', 'environment')
    .option('--labels <k=v,...>', 'labels to set')
    .action(
      action(async (ctx, hostId: string, opts: { env: string; labels?: string }) => {
        const r = await ctx.call('hosts.assign', { host: hostId, environment: opts.env, labels: parseLabels(opts.labels) });
        ctx.out.result(r, () => `${r.hostId} is in ${r.environment}`);
      }),
    );
  host
    .command('revoke')
    .description("revoke a host's key (it must enroll again)")
    .argument('<host>', 'host id')
    .requiredOption('--reason <text>', 'why')
    .action(
      action(async (ctx, hostId: string, opts: { reason: string }) => {
        ctx.out.result(await ctx.call('hosts.revoke', { host: hostId, reason: opts.reason }), () => `revoked ${hostId}`);
      }),
    );
  host
    .command('reset')
    .description("sign a reset of a host's lost trust counters to what the registry issued and imported (airlock-agent recover --reset FILE on the host)")
    .argument('<host>', 'host id')
    .requiredOption('--reason <text>', 'why (signed into the reset and recorded)')
    .option('--valid-hours <n>', 'hours until it expires', parseIntOption('--valid-hours', 1, MAX_VALID_HOURS), 24)
    .requiredOption('--out <file>', 'file to write the signed reset to (never overwritten)')
    .action(
      action(async (ctx, hostId: string, opts: { reason: string; validHours: number; out: string }) => {
        const r = await ctx.call('hosts.reset', { host: hostId, reason: opts.reason, validHours: opts.validHours, out: resolve(opts.out) });
        const channels = Object.entries(r.channels).map(([c, n]) => `${c} #${n}`).join(', ');
        const floors = Object.entries(r.floors).map(([slot, n]) => `${slot} ≥ ${n}`).join(', ');
        ctx.out.result(
          r,
          () =>
            `host reset ${r.id}: ${r.hostId} will take only bundles after ${channels || 'none (no bundle was issued yet)'}, keep security floors ${floors || '(none)'} and number its reports after #${r.reportSeq} once it applies this (before ${r.expiresAt}); written to ${r.file}, to carry to ${r.hostId} and apply there with \`airlock-agent recover --reset ${r.file}\``,
        );
      }),
    );
  host
    .command('list')
    .description('list enrolled hosts')
    .action(
      action(async (ctx) => {
        const rows = await ctx.call('hosts.list', {});
        ctx.out.result(rows, () => table(rows.map((r) => ({ ...r, labels: Object.entries(r.labels).map(([k, v]) => `${k}=${v}`) })), ['hostId', 'environment', 'labels', 'enrolledAt', 'lastSeen']));
      }),
    );

  const deploy = program.command('deploy').description('deployments: an active version bound to hosts under a channel sequence');
  deploy
    .command('create')
    .description("create a deployment of the environment's active version of a model")
    .argument('<model>', 'model name')
    .requiredOption('--env <env>', 'environment')
    .option('--hosts <ids>', 'comma-separated host ids (default: every host in the environment)')
    .option('--slot <slot>', 'slot on the hosts (default: the model name)')
    .option('--floor <n>', 'security floor: hosts refuse versions below it afterwards', parseIntOption('--floor', 0), 0)
    .action(
      action(async (ctx, model: string, opts: { env: string; hosts?: string; slot?: string; floor: number }) => {
        const r = await ctx.call('deployments.create', { model, environment: opts.env, floor: opts.floor, ...(opts.hosts ? { hosts: opts.hosts.split(',').filter(Boolean) } : {}), ...(opts.slot ? { slot: opts.slot } : {}) });
        ctx.out.result(r, () => `deployment #${r.id}: ${r.version} → ${r.environment} (channel ${r.channel} #${r.sequence}, slot ${r.slot}) for ${r.hosts.join(', ') || 'every host in the environment'}; ${r.approvals} approval(s) carried`);
      }),
    );
  deploy
    .command('list')
    .description('list deployments and their state per host')
    .action(
      action(async (ctx) => {
        const rows = await ctx.call('deployments.list', {});
        const host = (r: (typeof rows)[number], h: (typeof rows)[number]['hosts'][number]) =>
          `${h.hostId}: ${h.state.replace('_', ' ')}${h.code ? ` ${h.code}` : ''}${h.serving && h.serving !== r.version ? `, now serving ${h.serving}` : ''}`;
        ctx.out.result(rows, () => table(rows.map((r) => ({ ...r, hosts: r.hosts.map((h) => host(r, h)) })), ['id', 'version', 'environment', 'sequence', 'createdAt', 'hosts']));
      }),
    );

  bundle
    .command('export')
    .description("sign a deployment's bundle with your release key and write it to a folder")
    .argument('<deployment>', 'deployment id')
    .requiredOption('--out <dir>', 'destination folder (e.g. the USB stick)')
    .addOption(new Option('--delta <mode>', 'auto: leave out blobs every targeted host reported holding').choices(['auto', 'none']).default('auto'))
    .option('--mkdir', 'create the destination folder if it does not exist (by default it must, so that an unmounted stick is noticed)')
    .action(
      action(async (ctx, id: string, opts: { out: string; delta: 'auto' | 'none'; mkdir?: boolean }) => {
        const r = await ctx.call('bundles.export', { deployment: parseIntOption('deployment id', 1)(id), out: resolve(opts.out), delta: opts.delta, mkdir: opts.mkdir ?? false }, { progress: 'export' });
        ctx.out.result(r, () => `wrote ${r.path} (${formatBytes(r.bytes)}; ${r.blobs - r.omitted} of ${r.blobs} blobs included; roots up to version ${r.rootVersion})`);
      }),
    );

  program
    .command('depot')
    .description('static mirrors for agents polling over HTTP')
    .command('export')
    .description('write index.json and every deployment bundle to a folder any web server or share can serve')
    .requiredOption('--out <dir>', 'destination folder')
    .option('--mkdir', 'create the destination folder if it does not exist')
    .action(
      action(async (ctx, opts: { out: string; mkdir?: boolean }) => {
        const r = await ctx.call('depot.export', { out: resolve(opts.out), mkdir: opts.mkdir ?? false }, { progress: 'export' });
        ctx.out.result(r, () => `wrote ${r.bundles.length} bundle(s) and index.json to ${r.dir}`);
      }),
    );

  program
    .command('reports')
    .description('signed reports from hosts')
    .command('import')
    .description('import the reports in a folder (verified against each host key; importing twice changes nothing)')
    .argument('<dir>', 'folder of reports')
    .action(
      action(async (ctx, dir: string) => {
        const r = await ctx.call('reports.import', { dir: resolve(dir) });
        const human = () => [`imported ${r.imported}, already had ${r.duplicates}, rejected ${r.rejected.length}; review items opened: ${r.reviews.length}`, ...r.rejected.map((x) => `rejected ${x.file}: ${x.code}: ${x.message}`), ...r.audit.map((x) => `warning ${x.code}: ${x.message}`)].join('\n');
        const first = r.rejected[0];
        if (first) process.exitCode = ctx.out.refused(r, { code: first.code as ErrorCode, message: `${r.rejected.length} file(s) were rejected; the rest were imported. First: ${first.file}: ${first.message}` }, human);
        else ctx.out.result(r, human);
      }),
    );

  program
    .command('fleet')
    .description('per host: environment, slots, active version, health, report age, pending deployments')
    .option('--stale-after <minutes>', 'a host whose last report is older is stale', parseIntOption('--stale-after', 1), 60)
    .action(
      action(async (ctx, opts: { staleAfter: number }) => {
        const rows = await ctx.call('fleet.show', { staleAfterMinutes: opts.staleAfter });
        const overdue = (await ctx.call('reviews.due', { withinDays: 0 })).filter((d) => d.overdue).length;
        ctx.out.result(rows, () =>
          [
            table(
              rows.map((r) => ({
                host: r.hostId,
                env: r.environment,
                slots: r.slots.map((s) => `${s.slot}=${s.version ?? '-'}${s.healthy ? '' : ' DOWN'}${s.expected ? ` (NOT ${s.expected})` : ''}`),
                p95: r.slots.map((s) => (s.p95Ms === null ? '-' : `${s.p95Ms.toFixed(1)} ms`)),
                errors: r.slots.map((s) => (s.errorRate === null ? '-' : `${(s.errorRate * 100).toFixed(1)}%`)),
                health: r.health,
                age: r.ageMinutes === null ? 'never' : `${r.ageMinutes} min${r.stale ? ' STALE' : ''}`,
                pending: r.pendingDeployments,
              })),
              ['host', 'env', 'slots', 'p95', 'errors', 'health', 'age', 'pending'],
            ),
            ...(overdue > 0 ? [`reviews  ${plural(overdue, 'review')} overdue by the review calendar: \`airlock review due\``] : []),
          ].join('\n'),
        );
      }),
    );
}
