#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { AirlockError, parseEnvelope, parseLabels, type HostStatus } from '@airlock/shared/common';
import { describeFailure } from '@airlock/shared/node';
import { ConfigError, loadConfig } from './config.js';
import { callAgent } from './control/client.js';
import { Daemon } from './daemon.js';
import { writeEnrollment } from './enroll.js';
import { initHost } from './init.js';
import { recoverCounters } from './recover.js';
import { JOURNAL_STEPS, type JournalStep } from './apply/journal.js';
import { loadIdentity } from './state/identity.js';
import { stateLayout } from './state/layout.js';
import { AGENT_VERSION } from './version.js';

interface Globals {
  json?: boolean;
  state?: string;
  config?: string;
}

const print = (g: Globals, result: unknown, human: () => string) => process.stdout.write(g.json ? `${JSON.stringify({ ok: true, result }, null, 2)}\n` : `${human()}\n`);

/** The state directory a command talks to: --state, else the config file's, else AIRLOCK_AGENT_STATE_DIR. */
async function stateDirOf(g: Globals): Promise<string> {
  if (g.state) return g.state;
  return (await loadConfig({ ...(g.config ? { file: g.config } : {}) })).stateDir;
}

function action<A extends unknown[]>(fn: (g: Globals, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: A) {
    const g = this.optsWithGlobals<Globals>();
    try {
      await fn(g, ...args);
    } catch (err) {
      if (err instanceof ConfigError) {
        if (g.json) process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'CONFIG_INVALID', message: err.message, details: { problems: err.problems } } }, null, 2)}\n`);
        else process.stderr.write(`${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const e = describeFailure(err);
      if (g.json) process.stdout.write(`${JSON.stringify({ ok: false, error: e }, null, 2)}\n`);
      else process.stderr.write(`error ${e.code}: ${e.message}\n`);
      process.exitCode = e.code === 'USAGE' ? 2 : 1;
    }
  };
}

// With --json, every outcome is one JSON document on stdout: usage mistakes too, not commander's text.
const json = process.argv.slice(2).includes('--json');
const program = new Command('airlock-agent')
  .description('Airlock host agent: verifies, installs, health-checks, serves and reports on models')
  .version(AGENT_VERSION)
  .option('--json', 'print one JSON document on stdout instead of text')
  .option('--state <dir>', 'state directory (default: from --config or AIRLOCK_AGENT_STATE_DIR)')
  .option('--config <file>', 'agent configuration file (JSON)')
  .showHelpAfterError(json ? false : '(run with --help for usage)')
  .exitOverride();
if (json) program.configureOutput({ outputError: () => undefined });

program
  .command('init')
  .description('create the host key (0600) and install the trusted root')
  .requiredOption('--root <file>', 'root.json from the registry, delivered out of band')
  .option('--host-id <id>', 'host id (default: the host name)')
  .option('--labels <k=v,...>', 'labels, e.g. site=plant-2,gpu=none')
  .action(
    action(async (g, opts: { root: string; hostId?: string; labels?: string }) => {
      const layout = stateLayout(await stateDirOf(g));
      const { identity, rootVersion } = await initHost(layout, { rootFile: opts.root, ...(opts.hostId ? { hostId: opts.hostId } : {}), labels: parseLabels(opts.labels) });
      print(g, { hostId: identity.hostId, keyId: identity.keyId, rootVersion, state: layout.dir }, () => `initialised ${identity.hostId} in ${layout.dir} (key ${identity.keyId.slice(0, 16)}…, trusting root version ${rootVersion})`);
    }),
  );

program
  .command('enroll')
  .description('write a signed enrollment request for the registry')
  .requiredOption('--out <dir>', 'where to write <host>.enrollment.json (e.g. the USB stick)')
  .action(
    action(async (g, opts: { out: string }) => {
      const identity = await loadIdentity(stateLayout(await stateDirOf(g)));
      // The slots come from the configuration; with --state alone the registry learns them from the first status report.
      const slots = g.config ? Object.keys((await loadConfig({ file: g.config })).slots) : undefined;
      const path = await writeEnrollment(identity, opts.out, slots);
      print(g, { path, hostId: identity.hostId }, () => `wrote ${path}`);
    }),
  );

program
  .command('recover')
  .description("rebuild lost or damaged trust counters (agent stopped): from this host's audit log, or from a reset the registry signed")
  .option('--reset <file>', 'a host reset from `airlock host reset HOST --reason TEXT --out FILE`, needed when the audit log cannot rebuild them')
  .action(
    action(async (g, opts: { reset?: string }) => {
      const layout = stateLayout(await stateDirOf(g));
      const r = await recoverCounters(layout, opts.reset ? { resetFile: resolve(opts.reset) } : {});
      const c = r.counters;
      const channels = Object.entries(c.channels).map(([k, v]) => `${k} #${v}`).join(', ') || 'none';
      print(g, r, () => `rebuilt the trust counters from the ${r.source}: root version ${c.rootVersion}, channels ${channels}, report sequence ${c.reportSeq}. Start the agent.`);
    }),
  );

program
  .command('run')
  .description('run the agent (the daemon): watch sources, apply bundles, serve, report')
  .action(
    action(async (g) => {
      const cfg = await loadConfig({ ...(g.config ? { file: g.config } : {}), ...(g.state ? { overrides: { stateDir: g.state } } : {}) });
      const crash = process.env.AIRLOCK_AGENT_FAULT_AT_STEP;
      const fault = crash && (JOURNAL_STEPS as readonly string[]).includes(crash) ? { crashAtStep: crash as JournalStep, faultKind: process.env.AIRLOCK_AGENT_FAULT_KIND === 'throw' ? ('throw' as const) : ('kill' as const) } : {};
      let stopping = false;
      const daemon = await Daemon.start(cfg, { ...fault, onShutdown: () => shutdown() });
      const shutdown = () => {
        if (stopping) return;
        stopping = true;
        // Draining and stopping runtimes are bounded each; past both, runtimes are killed rather than orphaned.
        const force = setTimeout(() => void daemon.emergencyStop().finally(() => process.exit(1)), cfg.drainGraceMs + 20_000);
        force.unref();
        void daemon.stop().then(() => process.exit(0));
      };
      process.on('SIGTERM', shutdown);
      process.on('SIGINT', shutdown);
      // A defect that escapes every handler must not leave runtimes orphaned: log, stop them, exit
      // non-zero and let the service manager restart the agent.
      const fatal = (kind: string) => (err: unknown) => {
        process.stderr.write(`${JSON.stringify({ level: 'fatal', module: 'agent', msg: kind, error: err instanceof Error ? (err.stack ?? err.message) : String(err) })}\n`);
        void daemon.emergencyStop().finally(() => process.exit(70));
      };
      process.on('uncaughtException', fatal('uncaught exception'));
      process.on('unhandledRejection', fatal('unhandled rejection'));
      await new Promise(() => undefined);
    }),
  );

const remote = (name: string, description: string, build: (cmd: Command) => Command, call: (g: Globals, ...args: never[]) => Promise<[unknown, () => string]>) => {
  build(program.command(name).description(description)).action(
    action(async (g, ...args: unknown[]) => {
      const [result, human] = await call(g, ...(args as never[]));
      print(g, result, human);
    }),
  );
};

const socketOf = async (g: Globals) => stateLayout(await stateDirOf(g)).socket;

const readAuthorisation = (path: string) =>
  readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw new AirlockError(err.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `Cannot read the rollback authorisation ${path}: ${err.message}`);
  });

remote('status', 'show slots, releases, health and counters of the running agent', (c) => c, async (g) => {
  const s = await callAgent(await socketOf(g), { op: 'status' });
  const kept = (x: HostStatus['slots'][number]) => x.releases.filter((r) => r !== x.release);
  const channels = Object.entries(s.channels).map(([c, n]) => `${c} #${n}`).join(', ') || 'no bundle taken yet';
  return [
    s,
    () =>
      [
        ...s.slots.map((x) => `slot ${x.slot}: ${x.release ?? 'no release'} ${x.healthy ? 'healthy' : 'NOT SERVING'} (${x.state}); earlier releases kept: ${kept(x).join(', ') || 'none'}${x.securityFloor ? `; security floor ${x.securityFloor}` : ''}`),
        `root version ${s.rootVersion}; channels: ${channels}`,
      ].join('\n'),
  ];
});
remote(
  'rollback',
  'go back to a kept release of a slot (the previous good one by default)',
  (c) =>
    c
      .argument('<slot>')
      .option('--to <release>', 'release id (see status)')
      .option('--authorisation <file>', "approvers' signed rollback authorisation, needed to go below the slot's security floor"),
  async (g, slot: string, opts: { to?: string; authorisation?: string }) => {
    const authorisation = opts.authorisation ? parseEnvelope(await readAuthorisation(opts.authorisation), `rollback authorisation ${opts.authorisation}`) : undefined;
    const r = await callAgent(await socketOf(g), { op: 'rollback', slot, ...(opts.to ? { to: opts.to } : {}), ...(authorisation ? { authorisation } : {}) });
    return [r, () => `rolled back ${slot}: ${r.from} → ${r.to} (${r.warm ? 'warm' : 'cold'} switch in ${r.ms.toFixed(1)} ms)${r.authorisation ? `, below the floor under authorisation ${r.authorisation}` : ''}`];
  },
);
remote('apply', 'verify and install a bundle file now', (c) => c.argument('<file>'), async (g, file: string) => {
  const r = await callAgent(await socketOf(g), { op: 'apply', path: resolve(file) });
  if (r.outcome !== 'applied') process.exitCode = 1;
  return [r, () => `${r.outcome}${r.code ? ` ${r.code}: ${r.message}` : ''}`];
});
remote('verify', "verify a bundle against this host's trust and policy without installing it", (c) => c.argument('<file>'), async (g, file: string) => {
  const r = await callAgent(await socketOf(g), { op: 'verify', path: resolve(file) });
  return [r, () => `verified bundle ${r.bundleId} (sequence ${r.sequence})`];
});
remote('stop', 'stop the running agent as SIGTERM would: drain requests in flight, stop the runtimes, exit', (c) => c, async (g) => {
  await callAgent(await socketOf(g), { op: 'shutdown' });
  return [{ stopping: true }, () => 'the agent is stopping'];
});
remote('report', 'write a status report (and the audit tail) to the outbox now', (c) => c, async (g) => {
  const names = await callAgent(await socketOf(g), { op: 'report' });
  return [names, () => names.join('\n')];
});
remote('export-reports', 'copy the reports not exported yet to a folder (e.g. the USB stick)', (c) => c.requiredOption('--to <dir>', 'destination'), async (g, opts: { to: string }) => {
  const names = await callAgent(await socketOf(g), { op: 'export', to: resolve(opts.to) });
  return [names, () => `exported ${names.length} report(s) to ${opts.to}`];
});

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : 1;
  if (json && err instanceof CommanderError && err.exitCode !== 0) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { code: 'USAGE', message: err.message.replace(/^error: /, '') } }, null, 2)}\n`);
  }
}
