// A stand-in LLM server with the shape of the real thing: it loads the weights header, the tokenizer
// and the generation config, and answers POST /v1/completions by echoing known tokens (greedy, T=0),
// with OpenAI-style usage and finish_reason.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadGenerator } from './generate.mjs';

const dir = process.env.MODEL_DIR ?? '.';
const weights = readFileSync(join(dir, 'model.safetensors'));
const tensors = JSON.parse(weights.subarray(8, 8 + Number(weights.readBigUInt64LE(0))).toString());
const generate = loadGenerator(dir);

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { ok: true, tensors: Object.keys(tensors).filter((k) => k !== '__metadata__') });
  if (req.method === 'POST' && req.url === '/v1/completions') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const { prompt = '', max_tokens: maxTokens } = JSON.parse(body || '{}');
      send(res, 200, generate(prompt, maxTokens));
    });
    return;
  }
  send(res, 404, { error: 'not found' });
}).listen(Number(process.env.PORT ?? 8081), '127.0.0.1');
