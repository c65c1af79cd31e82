// An open-loop load generator for `npm run bench -- agent`: POSTs at a fixed rate for a fixed time and
// prints latency percentiles as JSON. Latency counts from when each request was due, not when it was
// sent, so a stalled server cannot hide its queue (no coordinated omission). Runs in its own process
// so that its work is not charged to the server measured.
import { Agent, request } from 'node:http';

const [port, rate, seconds, body] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5]];
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const latencies = [];
let failed = 0;
let due = 0;
const total = rate * seconds;
const start = performance.now();
const interval = 1000 / rate;

function send(dueAt) {
  const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/predict', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
    res.resume();
    res.on('end', () => {
      if (res.statusCode === 200) latencies.push(performance.now() - dueAt);
      else failed++;
      done();
    });
  });
  req.on('error', () => {
    failed++;
    done();
  });
  req.end(body);
}

let finished = 0;
function done() {
  if (++finished < total) return;
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
  process.stdout.write(`${JSON.stringify({ sent: total, ok: latencies.length, failed, p50: at(50), p99: at(99), p999: at(99.9) })}\n`);
  agent.destroy();
}

const timer = setInterval(() => {
  const now = performance.now();
  while (due < total && start + due * interval <= now) send(start + due++ * interval);
  if (due >= total) clearInterval(timer);
}, 1);
