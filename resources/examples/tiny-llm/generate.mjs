// Greedy "generation" of the example: the prompt's words the vocabulary knows, up to max_new_tokens.
// Shared by serve.mjs, the golden suite (evaluate.mjs) and the drift reference (reference.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadGenerator(dir) {
  const vocab = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')).model.vocab;
  const gen = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'));
  return (prompt, maxNewTokens = gen.max_new_tokens) => {
    const words = String(prompt).toLowerCase().split(/\s+/).filter(Boolean);
    const known = words.filter((w) => w in vocab);
    const tokens = known.slice(0, maxNewTokens);
    return {
      text: tokens.join(' '),
      tokens: tokens.length,
      finish_reason: known.length > maxNewTokens ? 'length' : 'stop',
      usage: { prompt_tokens: words.length, completion_tokens: tokens.length, total_tokens: words.length + tokens.length },
    };
  };
}
