// Serves the churn model over HTTP: GET /healthz, POST /predict {"record": {...}} → {"score", "label"}.
// Reads MODEL_DIR (the release), MODEL_CONFIG (resolved config JSON) and PORT, as the agent sets them.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { loadModel } from './predict.mjs';

const dir = process.env.MODEL_DIR ?? '.';
const config = process.env.MODEL_CONFIG ? JSON.parse(readFileSync(process.env.MODEL_CONFIG, 'utf8')) : {};
const predict = loadModel(dir);
const threshold = config.threshold ?? 0.5;

const send = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/healthz') return send(res, 200, { ok: true, model: 'churn', threshold });
  if (req.method === 'POST' && req.url === '/predict') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        send(res, 200, predict(JSON.parse(body).record ?? {}, threshold));
      } catch (err) {
        send(res, 400, { error: err.message });
      }
    });
    return;
  }
  send(res, 404, { error: 'not found' });
});
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
