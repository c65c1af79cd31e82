/**
 * The console over its HTTP transport, on the registry benchmark's registry (100,000 versions,
 * 1,000,000 audit events): the real `airlock console --web` process, called as the page calls it.
 * p95 of list, search and show end to end (target < 30 ms); and how long the web server's event loop
 * (the UI thread's stand-in) is ever kept from answering while the registry process imports 1 GiB and
 * verifies the whole registry (target < 50 ms), measured by a request every 10 ms that only the event
 * loop answers.
 */
import { join } from 'node:path';
import { startWebConsole, webClient } from '../helpers/web-console.js';
import { fmt, makeFile, MiB, percentile } from './measure.js';

const SAMPLES = 300;
const IMPORT_MIB = Number(process.env.AIRLOCK_BENCH_IMPORT_MIB ?? 1024);

export async function benchConsole(work: string, home: string, models: number, versionsPerModel: number, print: (line: string) => void): Promise<void> {
  const c = await startWebConsole(home);
  try {
    const web = await webClient(c);
    const unlocked = await web.call('session.unlock', { user: 'bench', passphrase: 'bench' });
    const session = (unlocked.body.result as { session: string }).session;
    const pick = (n: number) => Math.floor(Math.random() * n);
    const name = () => `model-${String(pick(models)).padStart(4, '0')}`;
    const cases: [string, string, () => unknown][] = [
      ['list all models', 'models.list', () => ({ limit: models })],
      ['search by name prefix', 'models.list', () => ({ prefix: `model-0${String(pick(100)).padStart(2, '0')}` })],
      ['search by tag', 'models.list', () => ({ tag: ['vision', 'nlp', 'tabular'][pick(3)] })],
      ['show model', 'models.show', () => ({ ref: name() })],
      ['show version', 'models.show', () => ({ ref: `${name()}@${1 + pick(versionsPerModel)}` })],
      ['audit: 50 newest', 'audit.list', () => ({ limit: 50 })],
    ];
    for (const [label, call, input] of cases) {
      const samples: number[] = [];
      for (let i = 0; i < SAMPLES + 5; i++) {
        const t = performance.now();
        const a = await web.call(call, input(), session);
        if (!a.body.ok) throw new Error(`${call}: ${a.body.error?.code} ${a.body.error?.message}`);
        if (i >= 5) samples.push(performance.now() - t);
      }
      print(`  HTTP ${label.padEnd(24)} p50 ${fmt(percentile(samples, 50))} ms  p95 ${fmt(percentile(samples, 95))} ms  p99 ${fmt(percentile(samples, 99))} ms  (${SAMPLES} calls; target p95 < 30 ms)`);
    }

    /** Pings the server's own event loop every 10 ms while `job` runs; the slowest answer bounds any block. */
    const whileRunning = async (label: string, job: () => Promise<{ ok: boolean; error?: { code: string; message: string } }>) => {
      const idle: number[] = [];
      for (let i = 0; i < 50; i++) idle.push(await ping(c.origin));
      const busy: number[] = [];
      let done = false;
      const started = performance.now();
      const pinging = (async () => {
        while (!done) {
          busy.push(await ping(c.origin));
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const answer = await job();
      done = true;
      await pinging;
      if (!answer.ok) throw new Error(`${label}: ${answer.error?.code} ${answer.error?.message}`);
      print(
        `  ${label.padEnd(29)} ${((performance.now() - started) / 1000).toFixed(1)} s; event loop answered ${busy.length} pings, slowest ${fmt(Math.max(...busy))} ms, p99 ${fmt(percentile(busy, 99))} ms (idle: slowest ${fmt(Math.max(...idle))} ms; target slowest < 50 ms)`,
      );
    };
    const file = join(work, 'one-gib.bin');
    await makeFile(file, IMPORT_MIB * MiB);
    await whileRunning(`import ${IMPORT_MIB} MiB`, async () => (await web.call('models.import', { path: file, model: 'bench-big', kind: 'classic' }, session)).body);
    await whileRunning('verify the whole registry', async () => (await web.call('registry.verify', {}, session)).body);
  } finally {
    await c.stop();
  }
}

async function ping(origin: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${origin}/favicon.svg`);
  await res.arrayBuffer();
  return performance.now() - t;
}
