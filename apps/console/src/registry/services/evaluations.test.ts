import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { churnVariant, makeRegistry } from '../../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { runEvaluation } from './evaluations.js';
import { importModel } from './import.js';

const tempDir = useTempDirs();
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('eval run', () => {
  it("runs a version's suite without the runner's Airlock settings: no passphrase, passphrase file, home or user reaches it", async () => {
    const t = await makeRegistry(join(await tempDir(), 'registry'));
    const model = await churnVariant(await tempDir(), 'probe');
    // The suite reports what it can see: how many AIRLOCK_* variables, whether it finds node on PATH, and its HOME.
    await writeFile(
      join(model, 'probe.mjs'),
      `const airlock = Object.keys(process.env).filter((k) => k.startsWith('AIRLOCK_')).length;
       console.log(JSON.stringify({ metrics: { airlock, path: process.env.PATH ? 1 : 0, homeIsWorkDir: process.env.HOME === process.cwd() ? 1 : 0 } }));`,
    );
    const spec = JSON.parse(await readFile(join(model, 'airlock-model.json'), 'utf8')) as { evaluation: { suites: Record<string, unknown> } };
    spec.evaluation.suites.probe = { command: 'node', args: ['probe.mjs'], timeoutMs: 30_000 };
    await writeFile(join(model, 'airlock-model.json'), JSON.stringify(spec));
    await importModel(t.reg, t.as.bob, { path: model, model: 'churn' });
    Object.assign(process.env, { AIRLOCK_PASSPHRASE: 'alice-secret', AIRLOCK_PASSPHRASE_FILE: '/home/alice/.airlock-pass', AIRLOCK_HOME: t.reg.home.dir, AIRLOCK_USER: 'bob' });
    const r = await runEvaluation(t.reg, t.as.bob, 'churn@1', 'probe');
    expect(r.metrics).toEqual({ airlock: 0, path: 1, homeIsWorkDir: 1 });
  });
});
