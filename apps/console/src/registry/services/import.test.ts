import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHURN, makeRegistry, TINY_LLM, type TestRegistry } from '../../../../../test/helpers/registry.js';
import { useSuiteTempDirs, useTempDirs } from '../../../../../test/helpers/tmp.js';
import { raw, sql } from '../db/sql.js';
import { importModel } from './import.js';
import { showModel } from './models.js';

const suiteDir = useSuiteTempDirs();
const tempDir = useTempDirs();
let t: TestRegistry;
const count = (table: string) => t.reg.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${raw(table)}`)!.n;

beforeAll(async () => {
  t = await makeRegistry(await suiteDir());
});

describe('model import', () => {
  it('imports the classic example with roles, kind, tags and an audit event', async () => {
    const before = count('audit_events');
    const { created, version } = await importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn' });
    expect(created).toBe(true);
    expect(version).toMatchObject({ model: 'churn', number: 1, kind: 'classic', state: 'registered' });
    const shown = showModel(t.reg, t.as.aud, 'churn@1');
    if (shown.kind !== 'version') throw new Error('expected a version');
    const roles = Object.fromEntries(shown.version.manifest.components.map((c) => [c.path, c.role]));
    expect(roles).toEqual({ '.airlock/drift-profile.json': 'drift_profile', 'evaluate.mjs': 'code', 'holdout.csv': 'eval_report', 'model.json': 'weights', 'predict.mjs': 'code', 'reference.jsonl': 'other', 'serve.mjs': 'code', 'train.mjs': 'code' });
    expect(shown.version.manifest.config.defaults).toEqual({ threshold: 0.5 });
    for (const c of shown.version.manifest.components) await t.reg.store.verify(c.digest);
    expect(count('audit_events')).toBe(before + 1);
    const model = showModel(t.reg, t.as.aud, 'churn');
    expect(model.kind === 'model' && model.model.tags).toEqual(['churn', 'tabular']);
  });

  it('imports the LLM example with weights, tokenizer and chat template components', async () => {
    const { version } = await importModel(t.reg, t.as.bob, { path: TINY_LLM, model: 'tiny-llm' });
    const shown = showModel(t.reg, t.as.aud, `tiny-llm@${version.number}`);
    if (shown.kind !== 'version') throw new Error('expected a version');
    expect(shown.version.manifest.model.kind).toBe('llm');
    expect(shown.version.manifest.components.map((c) => `${c.role}:${c.path}`).sort()).toEqual([
      'chat_template:chat_template.jinja', 'code:evaluate.mjs', 'code:generate.mjs', 'code:reference.mjs', 'code:serve.mjs', 'config:generation_config.json',
      'drift_profile:.airlock/drift-profile.json', 'eval_report:golden.jsonl', 'other:reference.jsonl', 'tokenizer:tokenizer.json', 'weights:model.safetensors',
    ]);
  });

  it('returns the existing version for identical content, and numbers new content', async () => {
    const events = count('audit_events');
    const again = await importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn' });
    expect(again.created).toBe(false);
    expect(again.version.number).toBe(1);
    expect(count('audit_events')).toBe(events);
    const dir = join(await tempDir(), 'churn');
    await cp(CHURN, dir, { recursive: true });
    await writeFile(join(dir, 'NOTES.md'), 'retrained\n');
    const next = await importModel(t.reg, t.as.bob, { path: dir, model: 'churn' });
    expect(next).toMatchObject({ created: true, version: { number: 2 } });
  });

  const broken: [string, (dir: string) => Promise<void>, string, RegExp][] = [
    ['a bad field in airlock-model.json', (d) => writeFile(join(d, 'airlock-model.json'), JSON.stringify({ kind: 'classic', licence: 42 })), 'INVALID_INPUT', /licence/],
    ['an unknown field in airlock-model.json', (d) => writeFile(join(d, 'airlock-model.json'), JSON.stringify({ kind: 'classic', colour: 'blue' })), 'INVALID_INPUT', /colour/],
    ['airlock-model.json that is not JSON', (d) => writeFile(join(d, 'airlock-model.json'), '{ nope'), 'INVALID_INPUT', /not valid JSON/],
    ['defaults that break the config schema', (d) => writeFile(join(d, 'airlock-model.json'), JSON.stringify({ kind: 'classic', config: { schema: { type: 'object', properties: { t: { type: 'number' } } }, defaults: { t: 'high' } } })), 'CONFIG_INVALID', /\/t must be number/],
    ['a config schema that is not JSON Schema', (d) => writeFile(join(d, 'airlock-model.json'), JSON.stringify({ kind: 'classic', config: { schema: { type: 'banana' } } })), 'CONFIG_INVALID', /JSON Schema/],
    ['a role for a file that is not there', (d) => writeFile(join(d, 'airlock-model.json'), JSON.stringify({ kind: 'classic', roles: { 'ghost.bin': 'weights' } })), 'INVALID_INPUT', /ghost\.bin/],
    ['a symbolic link among the files', async (d) => {
      await writeFile(join(d, 'airlock-model.json'), JSON.stringify({ kind: 'classic' }));
      await symlink('/etc/passwd', join(d, 'passwd'));
    }, 'INVALID_INPUT', /symbolic link/],
    ['a model of another kind under the same name', (d) => writeFile(join(d, 'airlock-model.json'), JSON.stringify({ kind: 'llm' })), 'CONFLICT', /classic model/],
  ];
  it.each(broken)('refuses %s and registers nothing', async (_name, breakIt, code, message) => {
    const dir = join(await tempDir(), 'm');
    await mkdir(dir);
    await writeFile(join(dir, 'weights.bin'), `weights for ${_name}`);
    await breakIt(dir);
    const before = { versions: count('versions'), models: count('models'), audit: count('audit_events') };
    const err = await importModel(t.reg, t.as.bob, { path: dir, model: 'churn' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    expect((err as Error).message).toMatch(message);
    expect({ versions: count('versions'), models: count('models'), audit: count('audit_events') }).toEqual(before);
  });

  it('refuses a bad model name and a --kind that contradicts the model file', async () => {
    await expect(importModel(t.reg, t.as.bob, { path: CHURN, model: 'Churn Model' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(importModel(t.reg, t.as.bob, { path: CHURN, model: 'churn2', kind: 'llm' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(importModel(t.reg, t.as.bob, { path: '/nonexistent/path', model: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
