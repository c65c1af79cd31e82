// Trains the example churn model: logistic regression by gradient descent on synthetic customer
// records drawn from a fixed seed. Writes model.json (weights), holdout.csv (evaluation data) and
// reference.jsonl (the training requests with the model's answers: the drift reference).
// Run: node train.mjs   (deterministic: the same files every time)
import { writeFileSync } from 'node:fs';

const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'contract_annual'];

let seed = 20261126;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

function customer() {
  const x = {
    tenure_months: Math.round(Math.max(0, 30 + 20 * gauss())),
    monthly_charges: Math.round((60 + 25 * gauss()) * 100) / 100,
    support_calls: Math.max(0, Math.round(2 + 1.5 * gauss())),
    contract_annual: rand() < 0.4 ? 1 : 0,
  };
  const z = -0.06 * x.tenure_months + 0.03 * x.monthly_charges + 0.6 * x.support_calls - 1.5 * x.contract_annual - 1.0 + 0.8 * gauss();
  return { x, y: z > 0 ? 1 : 0 };
}

const scale = { tenure_months: 50, monthly_charges: 100, support_calls: 5, contract_annual: 1 };
const vec = (x) => FEATURES.map((f) => x[f] / scale[f]);
const sigmoid = (z) => 1 / (1 + Math.exp(-z));

const train = Array.from({ length: 2000 }, customer);
const holdout = Array.from({ length: 300 }, customer);
let w = FEATURES.map(() => 0);
let b = 0;
for (let epoch = 0; epoch < 400; epoch++) {
  const gw = w.map(() => 0);
  let gb = 0;
  for (const { x, y } of train) {
    const v = vec(x);
    const err = sigmoid(v.reduce((s, xi, i) => s + xi * w[i], b)) - y;
    v.forEach((xi, i) => (gw[i] += err * xi));
    gb += err;
  }
  w = w.map((wi, i) => wi - (2.0 * gw[i]) / train.length);
  b -= (2.0 * gb) / train.length;
}

const round = (n) => Math.round(n * 1e6) / 1e6;
writeFileSync('model.json', `${JSON.stringify({ type: 'logistic_regression', features: FEATURES, scale, weights: w.map(round), bias: round(b) }, null, 2)}\n`);
writeFileSync('holdout.csv', [`${FEATURES.join(',')},churned`, ...holdout.map(({ x, y }) => `${FEATURES.map((f) => x[f]).join(',')},${y}`)].join('\n') + '\n');

// The drift reference: each training record as a request to /predict, with the answer serve.mjs gives.
const answer = (x) => {
  const score = 1 / (1 + Math.exp(-vec(x).reduce((s, xi, i) => s + xi * round(w[i]), round(b))));
  return { score: Math.round(score * 1e6) / 1e6, label: score >= 0.5 ? 1 : 0 };
};
writeFileSync('reference.jsonl', train.map(({ x }) => JSON.stringify({ request: { record: x }, response: answer(x) })).join('\n') + '\n');
