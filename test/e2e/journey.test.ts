import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DEMO = fileURLToPath(new URL('../demo/journey.ts', import.meta.url));

describe('the whole journey (npm run demo)', () => {
  it('imports, approves, ships to two real agents over a folder, serves, reports, and sees v2 rolled back by the hosts', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', DEMO], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const code = await new Promise((r) => child.on('exit', r));
    expect(out).toContain('Every step behaved as expected.');
    expect(code, out.slice(-4000)).toBe(0);
    for (const step of ['registry', 'import v1', 'promote v1', 'hosts', 'apply v1', 'serve', 'reports', 'drift', 'ship v2', 'rollback on hosts', 'reports v2']) {
      expect(out).toMatch(new RegExp(`^  ok\\s+${step} `, 'm'));
    }
    expect(out).toMatch(/host-a rolled_back \(HEALTH_GATE_FAILED\), host-b rolled_back \(HEALTH_GATE_FAILED\)/);
  }, 240_000);
});
