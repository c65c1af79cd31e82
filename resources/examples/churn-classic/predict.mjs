// Scores one customer record with the logistic regression in model.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadModel(dir) {
  const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  return (record, threshold = 0.5) => {
    for (const f of model.features) {
      if (typeof record[f] !== 'number' || !Number.isFinite(record[f])) throw new Error(`feature "${f}" must be a number`);
    }
    const z = model.features.reduce((s, f, i) => s + (record[f] / model.scale[f]) * model.weights[i], model.bias);
    const score = 1 / (1 + Math.exp(-z));
    return { score: Math.round(score * 1e6) / 1e6, label: score >= threshold ? 1 : 0 };
  };
}
