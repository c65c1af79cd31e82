// Evaluation suite "golden": each golden prompt must give exactly its expected answer.
// Prints one JSON line, {"metrics": {...}}, as `airlock eval run` expects.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGenerator } from './generate.mjs';

const dir = process.env.MODEL_DIR ?? '.';
const generate = loadGenerator(dir);
const golden = readFileSync(join(dir, 'golden.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const exact = golden.filter((g) => generate(g.prompt).text === g.expect).length;
const tokens = golden.reduce((n, g) => n + generate(g.prompt).usage.completion_tokens, 0);
console.log(JSON.stringify({ metrics: { exact_match: exact / golden.length, prompts: golden.length, mean_completion_tokens: Math.round((tokens / golden.length) * 1e4) / 1e4 } }));
