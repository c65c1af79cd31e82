import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { AirlockError, MODEL_KINDS, type BundleManifest } from '@airlock/shared/common';
import { readRootFile, verifyBundleFile } from '@airlock/shared/node';
import { createBundleFromFiles } from '../../registry/files-bundle.js';
import { formatBytes } from '../output.js';
import { passphrase } from '../passphrase.js';
import { action, collect, parseIntOption } from '../run.js';

interface CreateOptions {
  key: string;
  root: string;
  out: string;
  channel: string;
  sequence: number;
  env?: string;
  host: string[];
  slot: string;
  model: string;
  modelVersion: number;
  kind: (typeof MODEL_KINDS)[number];
  command: string;
  arg: string[];
  port: number;
  expiresDays: number;
}

export function summarize(manifest: BundleManifest) {
  return {
    bundleId: manifest.bundleId,
    channel: manifest.channel,
    sequence: manifest.sequence,
    issuedAt: manifest.issuedAt,
    expiresAt: manifest.expiresAt,
    targets: manifest.targets,
    slots: Object.entries(manifest.slots).map(([name, s]) => ({
      slot: name,
      model: `${s.model.name}@${s.model.version}`,
      kind: s.model.kind,
      digest: s.model.digest,
      files: s.files.length,
      bytes: s.files.reduce((n, f) => n + f.size, 0),
    })),
    blobs: { listed: manifest.blobs.length, included: manifest.blobs.filter((b) => b.included).length },
  };
}

function describe(summary: ReturnType<typeof summarize>): string {
  const targets = [summary.targets.environment && `environment ${summary.targets.environment}`, summary.targets.hosts.length > 0 && `hosts ${summary.targets.hosts.join(', ')}`]
    .filter(Boolean)
    .join('; ');
  return [
    `bundle   ${summary.bundleId}`,
    `channel  ${summary.channel} #${summary.sequence}`,
    `valid    ${summary.issuedAt} → ${summary.expiresAt}`,
    `targets  ${targets}`,
    ...summary.slots.map((s) => `slot     ${s.slot}: ${s.model} (${s.kind}) ${s.files} file(s), ${formatBytes(s.bytes)}, ${s.digest}`),
    `blobs    ${summary.blobs.included} included of ${summary.blobs.listed}`,
  ].join('\n');
}

export function registerBundle(program: Command): Command {
  const bundle = program.command('bundle').description('signed deployment bundles');

  bundle
    .command('create')
    .description('sign files on disk into a bundle for one slot (without a registry)')
    .argument('<paths...>', 'files or directories to ship')
    .requiredOption('--key <file>', 'release key file')
    .requiredOption('--root <file>', 'root.json whose release role holds the key')
    .requiredOption('--out <file>', 'bundle file to write (*.airlock)')
    .option('--channel <name>', 'deployment channel', 'default')
    .option('--sequence <n>', 'channel sequence number; hosts refuse anything not newer', parseIntOption('--sequence', 1), 1)
    .option('--env <name>', 'target environment')
    .option('--host <id>', 'target host id (repeatable)', collect, [])
    .option('--slot <name>', 'slot the release goes to', 'main')
    .option('--model <name>', 'model name', 'model')
    .option('--model-version <n>', 'model version number', parseIntOption('--model-version', 1), 1)
    .addOption(new Option('--kind <kind>', 'model kind').choices(MODEL_KINDS).default('other'))
    .option('--command <cmd>', 'runtime command on the host', 'node')
    .option('--arg <arg>', 'runtime argument (repeatable)', collect, [])
    .option('--port <port>', 'runtime port', parseIntOption('--port', 1, 65535), 8000)
    .option('--expires-days <days>', 'days until hosts refuse the bundle', parseIntOption('--expires-days', 1, 3650), 30)
    .action(
      action(async ({ out }, paths: string[], opts: CreateOptions) => {
        if (!opts.env && opts.host.length === 0) throw new AirlockError('USAGE', 'Name the targets: --env NAME and/or --host ID.');
        const pass = await passphrase('Passphrase for the release key: ');
        const bar = out.progress('bundle');
        const result = await createBundleFromFiles({
          inputs: paths,
          keyPath: opts.key,
          passphrase: pass,
          rootPath: opts.root,
          out: opts.out,
          channel: opts.channel,
          sequence: opts.sequence,
          ...(opts.env ? { environment: opts.env } : {}),
          hosts: opts.host,
          slot: opts.slot,
          model: { name: opts.model, kind: opts.kind, version: opts.modelVersion },
          runtime: { command: opts.command, args: opts.arg, port: opts.port },
          expiresInDays: opts.expiresDays,
          onProgress: (_phase, done, total) => bar.update(done, total, 'bytes'),
        }).finally(() => bar.stop());
        const summary = summarize(result.manifest);
        out.result({ path: result.path, ...summary }, () => `wrote    ${result.path}\n${describe(summary)}`);
      }),
    );

  bundle
    .command('verify')
    .description('verify a bundle as a host would (signatures, expiry, every blob) and print its manifest')
    .argument('<file>', 'bundle file')
    .requiredOption('--root <file>', 'the root.json to trust')
    .option('--now <iso>', 'check expiry at this time instead of the clock')
    .action(
      action(async ({ out }, file: string, opts: { root: string; now?: string }) => {
        const nowMs = opts.now === undefined ? Date.now() : Date.parse(opts.now);
        if (Number.isNaN(nowMs)) throw new AirlockError('USAGE', `--now "${opts.now}" is not an ISO 8601 time.`);
        const { root } = await readRootFile(opts.root);
        const scratch = await mkdtemp(join(tmpdir(), 'airlock-verify-'));
        try {
          const bar = out.progress('verify');
          const verified = await verifyBundleFile(file, {
            trust: { root, highWaterMs: 0, nowMs },
            stagingDir: join(scratch, 'staging'),
            onProgress: (done, total) => bar.update(done, total, 'bytes'),
          }).finally(() => bar.stop());
          await verified.discard();
          const summary = summarize(verified.manifest);
          out.result({ verified: true, rootVersion: verified.root.version, ...summary }, () => `verified (root version ${verified.root.version})\n${describe(summary)}`);
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      }),
    );
  return bundle;
}
