#!/usr/bin/env node
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerBundle } from './commands/bundle.js';
import { registerEnvironments } from './commands/environments.js';
import { registerEvaluations } from './commands/evaluations.js';
import { registerKeys } from './commands/keys.js';
import { registerModels } from './commands/models.js';
import { registerOversight } from './commands/oversight.js';
import { registerPromotions } from './commands/promotions.js';
import { registerRegistryAdmin } from './commands/registry-admin.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('airlock')
  .description('Airlock: model operations for air-gapped sites')
  .version(version)
  .option('--json', 'print one JSON document on stdout instead of text')
  .option('--home <dir>', 'registry folder (default: AIRLOCK_HOME, else ~/.airlock)')
  .option('--user <name>', 'acting user (default: AIRLOCK_USER)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
registerRegistryAdmin(program);
registerModels(program);
registerEnvironments(program);
registerEvaluations(program);
registerPromotions(program);
registerOversight(program);
registerKeys(program);
registerBundle(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Commander has printed its message; usage mistakes exit 2, help and version exit 0.
  process.exitCode = err instanceof CommanderError ? (err.exitCode === 0 ? 0 : 2) : 1;
}
