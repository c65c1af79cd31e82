import { describe, expect, it } from 'vitest';
import { churnVariant } from '../../../../../test/helpers/registry.js';
import { useTempDirs } from '../../../../../test/helpers/tmp.js';
import { useWorld } from '../../../../../test/helpers/world.js';
import { importModel } from '../services/import.js';
import { transitionVersion } from '../services/lifecycle.js';
import { annotateModel, listVersions } from '../services/models.js';

const tempDir = useTempDirs();
const { fork } = useWorld();

/** The world's churn@1 (active in prod, tagged) plus churn@2 and alpha@1 (tagged "vision", validated). */
async function world() {
  const w = await fork();
  await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'two'), model: 'churn' });
  await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'alpha'), model: 'alpha' });
  annotateModel(w.reg, w.as.bob, 'alpha', { addTags: ['vision'] });
  await transitionVersion(w.reg, w.as.bob, 'alpha@1', 'validated', 'ok');
  return w;
}

const base = { sort: 'model' as const, descending: false, offset: 0, limit: 100 };

describe('the version list', () => {
  it('sorts, filters and pages in SQL; the total counts the whole filter', async () => {
    const w = await world();
    const list = (q: Partial<Parameters<typeof listVersions>[2]>) => listVersions(w.reg, w.as.aud, { ...base, ...q });
    const refs = (q: Partial<Parameters<typeof listVersions>[2]>) => list(q).rows.map((r) => r.ref);
    expect(refs({})).toEqual(['alpha@1', 'churn@1', 'churn@2']);
    expect(refs({ descending: true })).toEqual(['churn@2', 'churn@1', 'alpha@1']);
    expect(refs({ sort: 'number', descending: true })).toEqual(['churn@2', 'churn@1', 'alpha@1']);
    expect(refs({ sort: 'state' })).toEqual(['churn@2', 'alpha@1', 'churn@1']);
    expect(refs({ sort: 'active' })).toEqual(['churn@1', 'alpha@1', 'churn@2']);
    // Tags sort by the model's tags in alphabetical order: churn now carries "0-first", which sorts before any other.
    annotateModel(w.reg, w.as.bob, 'churn', { addTags: ['0-first'] });
    expect(refs({ sort: 'tags' })).toEqual(['churn@1', 'churn@2', 'alpha@1']);
    expect(refs({ sort: 'tags', descending: true })).toEqual(['alpha@1', 'churn@2', 'churn@1']);
    expect(refs({ text: 'CHU' })).toEqual(['churn@1', 'churn@2']);
    expect(refs({ text: 'vision' })).toEqual(['alpha@1']);
    expect(refs({ tag: 'vision' })).toEqual(['alpha@1']);
    expect(refs({ state: 'validated' })).toEqual(['alpha@1', 'churn@1']);
    expect(refs({ active: true })).toEqual(['churn@1']);
    expect(list({ offset: 1, limit: 1 })).toMatchObject({ total: 3, offset: 1, rows: [{ ref: 'churn@1', active: ['prod'], state: 'validated' }] });
    expect(list({ text: 'chu', limit: 1 }).total).toBe(2);
    expect(list({ text: "x' OR 1=1 --" })).toEqual({ total: 0, offset: 0, rows: [] });
  });
});
