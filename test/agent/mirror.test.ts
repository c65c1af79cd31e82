import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, normalize } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, freePort, predict, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { makeTrust } from '../helpers/trust.js';

const suiteDir = useSuiteTempDirs();
let server: Server | undefined;
let agent: RunningAgent | undefined;
afterAll(async () => {
  await agent?.stop();
  server?.close();
});

/** Any static web server will do; this one serves a folder read-only. */
function serveFolder(dir: string, port: number): Promise<Server> {
  const s = createServer((req, res) => {
    const path = join(dir, normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, ''));
    stat(path).then(
      (st) => {
        res.writeHead(200, { 'content-length': st.size });
        createReadStream(path).pipe(res);
      },
      () => {
        res.writeHead(404);
        res.end();
      },
    );
  });
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}

describe('agent: static mirror source', () => {
  it('polls index.json on a web server, downloads the bundle, verifies and applies it', async () => {
    const dir = await suiteDir();
    const trust = makeTrust();
    await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
    const store = await ContentStore.open(join(dir, 'store'));
    const depot = join(dir, 'depot');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(depot, 'bundles'), { recursive: true });
    const bundle = join(depot, 'bundles', 'prod-000001-churn-1.airlock');
    await writeTestBundle(bundle, store, { slots: { main: await churnSlot(store) }, sequence: 1 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
    await writeFile(join(depot, 'index.json'), JSON.stringify({ schema: 'airlock.depot/v1', bundles: [{ path: 'bundles/prod-000001-churn-1.airlock', size: (await stat(bundle)).size }] }));
    const port = await freePort();
    server = await serveFolder(depot, port);
    agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), config: { sources: { dirs: [], mirrors: [`http://127.0.0.1:${port}/`], mirrorIntervalMs: 1000 } } });
    await waitFor(async () => (await predict(agent!.proxy, { tenure_months: 2, monthly_charges: 95, support_calls: 6, contract_annual: 0 }).catch(() => ({ status: 0 }))).status === 200, 30_000, 'the mirrored bundle to serve');
    const status = await agent.call({ op: 'status' });
    expect(status.slots[0]!.release).toBe('prod-1-churn-1');
    // The copy is gone once applied, and a restart does not fetch the mirror again (no replay refusal).
    const { readdir } = await import('node:fs/promises');
    await waitFor(async () => !(await readdir(join(dir, 'state', 'downloads'))).some((n) => n.endsWith('.airlock')), 10_000, 'the download to be removed');
    const requests: string[] = [];
    server.on('request', (req) => requests.push(req.url ?? ''));
    await agent.stop();
    agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), config: { sources: { dirs: [], mirrors: [`http://127.0.0.1:${port}/`], mirrorIntervalMs: 1000 } } });
    await waitFor(() => requests.filter((r) => r === '/index.json').length >= 2, 10_000, 'two polls after the restart');
    expect(requests.filter((r) => r.endsWith('.airlock'))).toEqual([]);
    expect((await readdir(join(dir, 'state', 'outbox'))).filter((n) => n.endsWith('-receipt.json')).length).toBe(1);
  }, 60_000);
});
