import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/agent.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The README's shell blocks marked `<!-- readme-test -->`, in order: the walkthrough a newcomer runs. */
async function readmeBlocks(): Promise<string[]> {
  const text = await readFile(`${ROOT}README.md`, 'utf8');
  return [...text.matchAll(/<!-- readme-test -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('the README runs as written', () => {
  it('the walkthrough blocks run from the checkout, one after the other, and do what they say', async () => {
    const blocks = await readmeBlocks();
    expect(blocks.length).toBe(2);
    const script = `set -euo pipefail\n${blocks.join('\n')}`;
    const env = { ...process.env, SLOT_PORT: String(await freePort()), ADMIN_PORT: String(await freePort()), AIRLOCK_PASSPHRASE: undefined, AIRLOCK_USER: undefined };
    // Its own process group, so that whatever the script starts (the agent, its runtime) ends with it.
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 180_000);
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    clearTimeout(timer);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toMatch(/imported churn@1 sha256:/);
    expect(out).toMatch(/churn@1 → prod, now active/);
    expect(out).toMatch(/imported churn@2 /);
    expect(out).toMatch(/audit log intact: .* reaches 1 anchor/);
    expect(out).toMatch(/registry intact/);
    expect(out).toMatch(/wrote root version 3/);
    expect(out).toMatch(/"label":1/);
    expect(out).toMatch(/imported [1-9]\d*, already had 0, rejected 0/);
  }, 240_000);
});
