import { AirlockError, type BundleSlot } from '@airlock/shared/common';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One HTTP probe: true when the path answers 200 within the timeout. */
export async function probe(port: number, path: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const subsetMatches = (expected: Record<string, unknown>, actual: unknown): string | null => {
  if (typeof actual !== 'object' || actual === null) return 'the response is not a JSON object';
  for (const [k, v] of Object.entries(expected)) {
    if (JSON.stringify((actual as Record<string, unknown>)[k]) !== JSON.stringify(v)) {
      return `"${k}" is ${JSON.stringify((actual as Record<string, unknown>)[k])}, expected ${JSON.stringify(v)}`;
    }
  }
  return null;
};

/**
 * The health gate a release must pass before it receives traffic: its probe answers 200 within the
 * start timeout, then every golden request returns the expected status and JSON.
 */
export async function healthGate(port: number, health: BundleSlot['health'], isAlive: () => boolean): Promise<void> {
  // Monotonic, so that a clock step cannot fail or stretch the gate.
  const deadline = performance.now() + health.startTimeoutMs;
  for (;;) {
    if (!isAlive()) throw new AirlockError('HEALTH_GATE_FAILED', 'The runtime exited before it became healthy.');
    if (await probe(port, health.path, Math.max(100, Math.min(2000, deadline - performance.now())))) break;
    if (performance.now() >= deadline) throw new AirlockError('HEALTH_GATE_FAILED', `${health.path} did not answer 200 within ${health.startTimeoutMs} ms.`);
    await sleep(health.intervalMs);
  }
  for (const [i, g] of health.golden.entries()) {
    let status: number;
    let body: unknown;
    try {
      const res = await fetch(`http://127.0.0.1:${port}${g.path}`, {
        method: g.method,
        headers: { 'content-type': 'application/json' },
        ...(g.body !== undefined && g.method !== 'GET' ? { body: JSON.stringify(g.body) } : {}),
        signal: AbortSignal.timeout(10_000),
      });
      status = res.status;
      const text = await res.text();
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    } catch (err) {
      throw new AirlockError('HEALTH_GATE_FAILED', `Golden request ${i + 1} (${g.method} ${g.path}) failed: ${(err as Error).message}.`);
    }
    if (status !== g.expectStatus) throw new AirlockError('HEALTH_GATE_FAILED', `Golden request ${i + 1} (${g.method} ${g.path}) answered ${status}, expected ${g.expectStatus}.`);
    const mismatch = g.expectJson ? subsetMatches(g.expectJson, body) : null;
    if (mismatch) throw new AirlockError('HEALTH_GATE_FAILED', `Golden request ${i + 1} (${g.method} ${g.path}): ${mismatch}.`);
  }
}
