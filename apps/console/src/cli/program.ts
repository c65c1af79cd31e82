import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerBundle } from './commands/bundle.js';
import { registerConsole } from './commands/console.js';
import { registerDrift } from './commands/drift.js';
import { registerEnvironments } from './commands/environments.js';
import { registerEvaluations } from './commands/evaluations.js';
import { registerFleet } from './commands/fleet.js';
import { registerKeys } from './commands/keys.js';
import { registerModels } from './commands/models.js';
import { registerOversight } from './commands/oversight.js';
import { registerPromotions } from './commands/promotions.js';
import { registerRegistryAdmin } from './commands/registry-admin.js';
import { registerRoot } from './commands/root.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/**
 * The whole `airlock` command tree; usage errors throw instead of exiting so main can map them to exit 2
 * (and, with `json`, print them as JSON instead of commander's text).
 */
export function buildProgram(opts: { json?: boolean } = {}): Command {
  const program = new Command('airlock')
    .description('Airlock: model operations for air-gapped sites')
    .version(version)
    .option('--json', 'print one JSON document on stdout instead of text')
    .option('--home <dir>', 'registry folder (default: AIRLOCK_HOME, else ~/.airlock)')
    .option('--user <name>', 'acting user (default: AIRLOCK_USER)')
    .showHelpAfterError(opts.json ? false : '(run with --help for usage)')
    .exitOverride();
  if (opts.json) program.configureOutput({ outputError: () => undefined });
  registerRegistryAdmin(program);
  registerModels(program);
  registerEnvironments(program);
  registerEvaluations(program);
  registerPromotions(program);
  registerOversight(program);
  registerKeys(program);
  registerRoot(program);
  registerConsole(program);
  registerDrift(program);
  registerFleet(program, registerBundle(program));
  return program;
}

/** Every runnable command as its words, e.g. ["promote", "approve"]. */
export function commandPaths(cmd: Command = buildProgram(), prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => (c.commands.length > 0 ? commandPaths(c, [...prefix, c.name()]) : [[...prefix, c.name()]]));
}
