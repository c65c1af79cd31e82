// Evaluation suite "holdout": accuracy, precision, recall and AUC on holdout.csv.
// Prints one JSON line, {"metrics": {...}}, as `airlock eval run` expects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from './predict.mjs';

const dir = process.env.MODEL_DIR ?? '.';
const config = process.env.MODEL_CONFIG ? JSON.parse(readFileSync(process.env.MODEL_CONFIG, 'utf8')) : {};
const predict = loadModel(dir);
const [header, ...lines] = readFileSync(join(dir, 'holdout.csv'), 'utf8').trim().split('\n');
const cols = header.split(',');
const rows = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], Number(v)])));

let tp = 0, fp = 0, tn = 0, fn = 0;
const scored = rows.map((r) => ({ ...predict(r, config.threshold ?? 0.5), y: r.churned }));
for (const s of scored) {
  if (s.label === 1 && s.y === 1) tp++;
  else if (s.label === 1) fp++;
  else if (s.y === 0) tn++;
  else fn++;
}
// AUC as the probability that a random positive scores above a random negative.
const pos = scored.filter((s) => s.y === 1);
const neg = scored.filter((s) => s.y === 0);
let wins = 0;
for (const p of pos) for (const n of neg) wins += p.score > n.score ? 1 : p.score === n.score ? 0.5 : 0;
const r4 = (n) => Math.round(n * 1e4) / 1e4;
console.log(JSON.stringify({
  metrics: {
    accuracy: r4((tp + tn) / rows.length),
    precision: r4(tp / Math.max(1, tp + fp)),
    recall: r4(tp / Math.max(1, tp + fn)),
    auc: r4(wins / (pos.length * neg.length)),
    rows: rows.length,
  },
  dataset: { name: 'holdout.csv' },
}));
