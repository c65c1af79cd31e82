// Writes reference.jsonl, the drift reference: prompts like the traffic the model is meant for (a few
// words, mostly from its vocabulary) with the answers it gives. Deterministic: run `node reference.mjs`.
import { writeFileSync } from 'node:fs';
import { loadGenerator } from './generate.mjs';

let seed = 20261130;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const WORDS = ['hello', 'world', 'model', 'ops', 'air', 'gap', 'safe', 'the', 'keep', 'please', 'our', 'is'];
const generate = loadGenerator('.');
const lines = Array.from({ length: 1000 }, () => {
  const prompt = Array.from({ length: 2 + Math.floor(rand() * 7) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
  return JSON.stringify({ request: { prompt }, response: generate(prompt) });
});
writeFileSync('reference.jsonl', `${lines.join('\n')}\n`);
