// The floor of a proxy built on Node's HTTP stack, for `npm run bench -- agent`: Node's http server in
// front, undici's dispatcher behind, and nothing else (no metrics, no resend, no header filtering).
// What the slot proxy costs above this is Airlock's own work; what this costs above nginx is Node's.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [listen, upstream] = [Number(process.argv[2]), Number(process.argv[3])];
const pool = new Pool(`http://127.0.0.1:${upstream}`, { connections: 64, pipelining: 1 });
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    pool.dispatch({ path: req.url, method: req.method, headers: req.rawHeaders, body: Buffer.concat(chunks) }, {
      onConnect() {},
      onHeaders(status, raw, resume) {
        res.writeHead(status, raw.map((h) => h.toString('latin1')));
        res.on('drain', resume);
        return true;
      },
      onData: (chunk) => res.write(chunk),
      onComplete: () => res.end(),
      onError: () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    });
  });
}).listen(listen, '127.0.0.1', () => process.send?.('listening'));
