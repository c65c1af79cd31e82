import { randomBytes } from 'node:crypto';
import { appendFile, cp, mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '@airlock/shared/node';
import { churnSlot, freePort, startAgent, waitFor, writeTestBundle, type RunningAgent } from '../helpers/agent.js';
import { CHURN } from '../helpers/registry.js';
import { useTempDirs } from '../helpers/tmp.js';
import { makeTrust, type TrustFixture } from '../helpers/trust.js';

const tempDir = useTempDirs();
const HEAD_BYTES = 64 * 1024;
const MiB = 1024 * 1024;
let dir: string;
let trust: TrustFixture;
let store: ContentStore;
const running: RunningAgent[] = [];
const servers: Server[] = [];

beforeEach(async () => {
  dir = await tempDir();
  trust = makeTrust();
  await writeFile(join(dir, 'root.json'), JSON.stringify(trust.rootEnvelope));
  store = await ContentStore.open(join(dir, 'store'));
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop()));
  for (const s of servers.splice(0)) s.close();
});

async function start(opts: { source?: string; config?: Record<string, unknown> } = {}): Promise<RunningAgent> {
  const agent = await startAgent({ stateDir: join(dir, 'state'), rootFile: join(dir, 'root.json'), ...opts });
  running.push(agent);
  return agent;
}

/** A signed bundle of the classic example plus `extra` files (name → bytes), so that it can be made large or zero-filled. */
async function bundleBytes(extra: Record<string, Buffer> = {}): Promise<Buffer> {
  const model = join(dir, `model-${randomBytes(4).toString('hex')}`);
  await cp(CHURN, model, { recursive: true });
  for (const [name, bytes] of Object.entries(extra)) await writeFile(join(model, name), bytes);
  const path = join(dir, `${randomBytes(4).toString('hex')}.airlock`);
  await writeTestBundle(path, store, { slots: { main: await churnSlot(store, { dir: model }) }, sequence: 1 }, trust.releaseSigners, new Map([[1, trust.rootEnvelope]]));
  return readFile(path);
}

/** Bytes a folder takes: as the files claim (apparent) and as the disk holds them (allocated). */
async function diskUse(path: string): Promise<{ files: number; apparent: number; allocated: number }> {
  const use = { files: 0, apparent: 0, allocated: 0 };
  for (const e of await readdir(path, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (!e.isFile()) continue;
    // The agent keeps writing while this is measured: a temp file renamed after the listing is gone.
    const s = await stat(join(e.parentPath, e.name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (!s) continue;
    use.files++;
    use.apparent += s.size;
    use.allocated += s.blocks * 512;
  }
  return use;
}

type Receipt = { outcome: string; code?: string };

/** The receipts the agent signed into its outbox, oldest first. */
async function receipts(agent: RunningAgent): Promise<Receipt[]> {
  const outbox = join(agent.stateDir, 'outbox');
  const names = (await readdir(outbox).catch(() => [] as string[])).filter((n) => n.endsWith('-receipt.json')).sort();
  const out: Receipt[] = [];
  for (const n of names) {
    const envelope = JSON.parse(await readFile(join(outbox, n), 'utf8')) as { payload: string };
    out.push((JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { body: Receipt }).body);
  }
  return out;
}

/** The agent's JSON log lines with this message. */
const logged = (agent: RunningAgent, msg: string) =>
  agent.logs.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);

const half = (b: Buffer) => Math.floor(b.length / 2);

const release = async (agent: RunningAgent) => (await agent.call({ op: 'status' })).slots[0]!.release;

const HELD = 'bundle incomplete, waiting for it to settle';

const whyFiles = async (agent: RunningAgent) => (await readdir(join(agent.stateDir, 'quarantine')).catch(() => [] as string[])).filter((n) => n.endsWith('.why.json')).sort();

describe('disk and media faults', () => {
  it('a refused 3 GiB sparse file leaves its reason and first 64 KiB in quarantine, not a copy', async () => {
    const agent = await start();
    const path = join(dir, 'sparse.airlock');
    const data = randomBytes(20 * 1024);
    await writeFile(path, data);
    await truncate(path, 3 * 1024 * MiB);
    expect(await agent.call({ op: 'apply', path })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_MALFORMED' });
    const use = await diskUse(join(agent.stateDir, 'quarantine'));
    expect(use.apparent).toBeLessThan(HEAD_BYTES + 4096);
    expect(use.allocated).toBeLessThan(HEAD_BYTES + 16 * 1024);
    const [why] = await whyFiles(agent);
    expect(JSON.parse(await readFile(join(agent.stateDir, 'quarantine', why!), 'utf8'))).toMatchObject({ file: path, code: 'BUNDLE_MALFORMED', size: 3 * 1024 * MiB, headBytes: HEAD_BYTES });
    const head = await readFile(join(agent.stateDir, 'quarantine', why!.replace(/\.why\.json$/, '.head')));
    expect(head.subarray(0, data.length).equals(data)).toBe(true);
  }, 60_000);

  it('the same refused file under other names is kept once; many refused files stay within the quota, oldest evicted', async () => {
    const quota = MiB;
    const agent = await start({ config: { quarantineMaxBytes: quota } });
    const same = randomBytes(100 * 1024);
    for (const name of ['same.airlock', 'same (1).airlock', 'copy of same.airlock']) {
      await writeFile(join(dir, name), same);
      expect(await agent.call({ op: 'apply', path: join(dir, name) })).toMatchObject({ outcome: 'refused' });
    }
    expect(await whyFiles(agent)).toHaveLength(1);
    const first = (await whyFiles(agent))[0]!;
    for (let i = 0; i < 24; i++) {
      const path = join(dir, `refused-${String(i).padStart(2, '0')}.airlock`);
      await writeFile(path, randomBytes(100 * 1024));
      expect(await agent.call({ op: 'apply', path })).toMatchObject({ outcome: 'refused' });
    }
    const use = await diskUse(join(agent.stateDir, 'quarantine'));
    expect(use.apparent).toBeLessThanOrEqual(quota);
    const kept = await whyFiles(agent);
    expect(kept).not.toContain(first);
    expect(kept.at(-1)).toMatch(/refused-23\.airlock\.why\.json$/);
    expect(kept.length).toBeGreaterThan(10);
  }, 60_000);

  // Announced or not: a content-length gives the excess away early; chunked, only counting the bytes catches it.
  it.each([['announcing its length', true, /announces/], ['chunked', false, /sent more than/]])('a mirror serving more than index.json declares (%s): the download stops at the declared size; nothing applied, refused or quarantined', async (_case, announce, message) => {
    const bundle = await bundleBytes();
    const garbage = 64 * MiB;
    const port = await freePort();
    const server = createServer((req, res) => {
      if (req.url === '/index.json') return res.end(JSON.stringify({ bundles: [{ path: 'bundles/prod-1.airlock', size: bundle.length }] }));
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...(announce ? { 'content-length': bundle.length + garbage } : {}) });
      res.write(bundle);
      const more = (left: number): void => {
        if (left <= 0 || res.destroyed) return void res.end();
        if (res.write(Buffer.alloc(MiB, 0x41))) more(left - MiB);
        else res.once('drain', () => more(left - MiB));
      };
      more(garbage);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    servers.push(server);
    const agent = await start({ config: { sources: { dirs: [], mirrors: [`http://127.0.0.1:${port}/`], mirrorIntervalMs: 1000 } } });
    const downloads = () => diskUse(join(agent.stateDir, 'downloads'));
    await waitFor(async () => logged(agent, 'mirror download discarded').length > 0 || (await downloads()).apparent > bundle.length, 30_000, 'the over-long download to end');
    expect((await downloads()).apparent).toBeLessThanOrEqual(bundle.length);
    expect(logged(agent, 'mirror download discarded')[0]).toMatchObject({ code: 'BUNDLE_TOO_LARGE', declared: bundle.length, message: expect.stringMatching(message) });
    expect((await diskUse(join(agent.stateDir, 'quarantine'))).apparent).toBe(0);
    expect(await receipts(agent)).toEqual([]);
    expect(await release(agent)).toBeNull();
  }, 60_000);

  it('a mirror serving fewer bytes than index.json declares (still uploading): nothing refused; applied once it serves them all', async () => {
    const bundle = await bundleBytes();
    let served = bundle.subarray(0, half(bundle));
    const port = await freePort();
    const server = createServer((req, res) => res.end(req.url === '/index.json' ? JSON.stringify({ bundles: [{ path: 'prod-1.airlock', size: bundle.length }] }) : served));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    servers.push(server);
    const agent = await start({ config: { sources: { dirs: [], mirrors: [`http://127.0.0.1:${port}/`], mirrorIntervalMs: 1000 } } });
    await waitFor(async () => logged(agent, 'mirror download discarded').length > 0 || logged(agent, HELD).length > 0 || (await receipts(agent)).length > 0, 30_000, 'the short download');
    expect(logged(agent, 'mirror download discarded')[0]).toMatchObject({ code: 'BUNDLE_TRUNCATED' });
    expect(await receipts(agent)).toEqual([]);
    served = bundle;
    await waitFor(async () => (await receipts(agent)).length > 0, 30_000, 'the whole bundle to be applied');
    expect(await receipts(agent)).toMatchObject([{ outcome: 'applied' }]);
  }, 60_000);

  it('staging left behind by a killed verification is removed at start', async () => {
    await (await start()).stop();
    const staging = join(dir, 'state', 'staging');
    await mkdir(join(staging, '0123456789abcdef', 'tmp'), { recursive: true });
    await writeFile(join(staging, '0123456789abcdef', 'tmp', '4242-feedfacecafe.part'), randomBytes(8 * MiB));
    await mkdir(join(staging, 'fedcba9876543210', 'sha256', 'ab'), { recursive: true });
    await writeFile(join(staging, 'fedcba9876543210', 'sha256', 'ab', 'blob'), randomBytes(MiB));
    expect((await diskUse(staging)).apparent).toBe(9 * MiB);
    await start();
    await waitFor(async () => (await readdir(staging).catch(() => [])).length === 0, 10_000, 'staging to be emptied');
  }, 60_000);

  // A copy that stalls mid-file: either in bytes that end nothing like a tar (the end-marker check holds
  // it without trying it), or inside a run of zeros that looks like one (verification finds it cut short).
  it.each([
    ['in random bytes', (b: Buffer, weights: Buffer) => b.indexOf(weights) + weights.length / 2, 'no end-of-archive marker yet'],
    ['in a run of zeros', (b: Buffer) => b.indexOf(Buffer.alloc(256 * 1024)) + 128 * 1024, 'The bundle ends in the middle of an entry: it was cut short.'],
  ])('a bundle copied into a watched folder in two halves, stalled %s, is not refused and is applied once complete', async (_case, cutAt, reason) => {
    const weights = randomBytes(MiB);
    const bundle = await bundleBytes({ 'weights.bin': weights, 'zeros.bin': Buffer.alloc(512 * 1024) });
    const cut = cutAt(bundle, weights);
    const source = join(dir, 'usb');
    await mkdir(source);
    const agent = await start({ source });
    const target = join(source, 'prod-1.airlock');
    await writeFile(target, bundle.subarray(0, cut));
    await waitFor(async () => logged(agent, HELD).length > 0 || (await receipts(agent)).length > 0, 20_000, 'the agent to look at the first half');
    expect(logged(agent, HELD)).toMatchObject([{ path: target, size: cut, reason }]);
    expect(await receipts(agent)).toEqual([]);
    expect(await whyFiles(agent)).toEqual([]);
    await appendFile(target, bundle.subarray(cut));
    await waitFor(async () => (await receipts(agent)).length > 0, 30_000, 'the completed bundle to be applied');
    expect(await receipts(agent)).toMatchObject([{ outcome: 'applied' }]);
    expect(await release(agent)).toBe('prod-1-churn-1');
    expect(await whyFiles(agent)).toEqual([]);
  }, 90_000);

  it('a file in a watched folder that stays cut short is refused BUNDLE_TRUNCATED once unchanged for settleMs, its head quarantined', async () => {
    const settleMs = 1500;
    const bundle = await bundleBytes({ 'weights.bin': randomBytes(MiB) });
    const source = join(dir, 'usb');
    await mkdir(source);
    const agent = await start({ source, config: { sources: { dirs: [source], pollIntervalMs: 200, settleMs } } });
    await writeFile(join(source, 'prod-1.airlock'), bundle.subarray(0, half(bundle)));
    await waitFor(async () => logged(agent, HELD).length > 0 || (await receipts(agent)).length > 0, 20_000, 'the agent to hold the file');
    const heldAt = Date.now();
    expect(await receipts(agent)).toEqual([]);
    await waitFor(async () => (await receipts(agent)).length > 0, 20_000, 'the refusal');
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(settleMs - 300);
    expect(await receipts(agent)).toMatchObject([{ outcome: 'refused', code: 'BUNDLE_TRUNCATED' }]);
    expect((await diskUse(join(agent.stateDir, 'quarantine'))).apparent).toBeLessThan(HEAD_BYTES + 4096);
  }, 60_000);

  it('a truncated file applied through the control socket is refused at once with only its head quarantined; the completed file applies', async () => {
    const bundle = await bundleBytes({ 'weights.bin': randomBytes(MiB) });
    const agent = await start();
    const path = join(dir, 'prod-1.airlock');
    await writeFile(path, bundle.subarray(0, half(bundle)));
    expect(await agent.call({ op: 'apply', path })).toMatchObject({ outcome: 'refused', code: 'BUNDLE_TRUNCATED' });
    expect(await receipts(agent)).toMatchObject([{ outcome: 'refused', code: 'BUNDLE_TRUNCATED' }]);
    expect((await diskUse(join(agent.stateDir, 'quarantine'))).apparent).toBeLessThan(HEAD_BYTES + 4096);
    await appendFile(path, bundle.subarray(half(bundle)));
    expect(await agent.call({ op: 'apply', path })).toMatchObject({ outcome: 'applied' });
  }, 60_000);
});
