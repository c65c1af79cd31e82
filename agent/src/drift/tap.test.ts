import { describe, expect, it } from 'vitest';
import { buildProfile, type MonitoringSpec } from '@airlock/shared/common';
import { DriftTap, type TappedRelease } from './tap.js';

const SPEC: MonitoringSpec = { features: [{ name: 'x', pointer: '/x', type: 'numeric' }, { name: 'ok', pointer: '/ok', type: 'categorical', from: 'response' }] };
const release = (digit: string, version = 1): TappedRelease => ({
  profile: buildProfile(SPEC, Array.from({ length: 1000 }, (_, i) => ({ request: { x: i % 50 }, response: { ok: 'yes' } }))),
  model: 'm',
  version,
  digest: `sha256:${digit.repeat(64)}`,
});
const body = (v: unknown) => Buffer.from(JSON.stringify(v));
const config = { sampleRate: 1, windowRequests: 100, windowSeconds: 0, keepWindows: 3, maxBodyBytes: 1024 };

describe('the drift tap', () => {
  it('closes a window every windowRequests tapped requests and keeps only the last keepWindows', () => {
    const tap = new DriftTap('main', config);
    tap.serve(release('a'));
    expect(tap.wantsResponse).toBe(true);
    for (let i = 0; i < 520; i++) tap.observe(body({ x: i % 50 }), body({ ok: 'yes' }));
    const [d] = tap.summary();
    expect(d).toMatchObject({ slot: 'main', model: 'm', version: 1, tapped: 520 });
    expect(d!.windows.map((w) => [w.index, w.n, w.verdict])).toEqual([[2, 100, 'ok'], [3, 100, 'ok'], [4, 100, 'ok']]);
  });

  it('closes a window after windowSeconds even when traffic is thin', async () => {
    const tap = new DriftTap('main', { ...config, windowSeconds: 1 });
    tap.serve(release('a'));
    for (let i = 0; i < 30; i++) tap.observe(body({ x: (i * 17) % 50 }), body({ ok: 'yes' }));
    const started = Date.now();
    while (!tap.latest && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 50));
    tap.stop();
    expect(tap.latest?.window).toMatchObject({ index: 0, n: 30, verdict: 'ok' });
  });

  it('starts a new window and alarm history for another release, and counts nothing for a release without a profile', () => {
    const tap = new DriftTap('main', config);
    tap.serve(release('a'));
    for (let i = 0; i < 60; i++) tap.observe(body({ x: 1000 }), body({ ok: 'yes' }));
    tap.serve(release('b', 2));
    expect(tap.latest?.window).toMatchObject({ n: 60, verdict: 'drift' });
    for (let i = 0; i < 30; i++) tap.observe(body({ x: 1 }), body({ ok: 'yes' }));
    tap.serve(null);
    expect(tap.sample()).toBe(false);
    for (let i = 0; i < 40; i++) tap.observe(body({ x: 1 }), body({ ok: 'yes' }));
    expect(tap.summary().map((d) => [d.version, d.tapped, d.windows.map((w) => w.n)])).toEqual([[1, 60, [60]], [2, 30, [30]]]);
  });

  it('samples the share of requests it is told to, and none without a profile', () => {
    const tap = new DriftTap('main', { ...config, sampleRate: 0.25 });
    expect(tap.sample()).toBe(false);
    tap.serve(release('a'));
    let taken = 0;
    for (let i = 0; i < 20_000; i++) if (tap.sample()) taken++;
    expect(taken / 20_000).toBeGreaterThan(0.23);
    expect(taken / 20_000).toBeLessThan(0.27);
  });

  it('counts a body that is not JSON, or hostile JSON, as features missing, and never throws', () => {
    const tap = new DriftTap('main', config);
    tap.serve(release('a'));
    const hostile = [Buffer.from('not json'), body({ x: '12' }), body({ x: null }), body({ ['__proto__']: { x: 1 } }), body({ x: 1e308 * 10 }), Buffer.alloc(0), body(Array.from({ length: 3 }, () => ({})))];
    for (let i = 0; i < 100; i++) tap.observe(hostile[i % hostile.length]!, Buffer.from('{"ok": {"deep": [1, 2]}}'));
    const w = tap.latest!.window;
    expect(w.features.find((f) => f.name === 'x')!.statistics.missingRate).toBe(1);
    expect(w.features.find((f) => f.name === 'ok')!.statistics.missingRate).toBe(1);
    expect(w.verdict).toBe('drift');
  });
});
