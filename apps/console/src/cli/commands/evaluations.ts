import type { Command } from 'commander';
import type { Output } from '../../api/contract.js';
import { readJsonFile } from '../read-json.js';
import { action } from '../run.js';

type Recorded = Output<'evaluations.record'>;
const describe = (r: Recorded) => `recorded ${r.suite} #${r.id} for ${r.version} (${r.source}): ${Object.entries(r.metrics).map(([k, v]) => `${k}=${v}`).join(' ')}`;

export function registerEvaluations(program: Command): void {
  const evaluation = program.command('eval').description('evaluation results, bound to a version digest and a suite');
  evaluation
    .command('record')
    .description('record results from a JSON file: {"metrics": {"name": number}, "dataset"?: {...}, "notes"?: "..."}')
    .argument('<ref>', 'NAME@N')
    .argument('<results>', 'results JSON file')
    .requiredOption('--suite <suite>', 'suite name')
    .action(
      action(async (ctx, ref: string, results: string, opts: { suite: string }) => {
        const r = await ctx.call('evaluations.record', { ref, suite: opts.suite, results: await readJsonFile(results) });
        ctx.out.result(r, () => describe(r));
      }),
    );
  evaluation
    .command('run')
    .description("run the suite the version declares (with its timeout) and record the metrics it prints")
    .argument('<ref>', 'NAME@N')
    .requiredOption('--suite <suite>', 'suite name')
    .action(
      action(async (ctx, ref: string, opts: { suite: string }) => {
        const r = await ctx.call('evaluations.run', { ref, suite: opts.suite });
        ctx.out.result(r, () => describe(r));
      }),
    );
}
