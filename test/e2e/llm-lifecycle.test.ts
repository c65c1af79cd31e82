import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftProfileSchema, StatusSchema } from '@airlock/shared/common';
import { agentCli, freePort, startAgent, type RunningAgent } from '../helpers/agent.js';
import { makeRegistry, TINY_LLM, type TestRegistry } from '../helpers/registry.js';
import { useSuiteTempDirs } from '../helpers/tmp.js';
import { components } from '../../apps/console/src/registry/repos/components.js';
import { createDeployment, exportBundle } from '../../apps/console/src/registry/services/deployments.js';
import { showDrift } from '../../apps/console/src/registry/services/drift.js';
import { createEnvironment } from '../../apps/console/src/registry/services/environments.js';
import { recordEvaluation, runEvaluation } from '../../apps/console/src/registry/services/evaluations.js';
import { assignHost, enrollHost } from '../../apps/console/src/registry/services/hosts.js';
import { importModel } from '../../apps/console/src/registry/services/import.js';
import { transitionVersion } from '../../apps/console/src/registry/services/lifecycle.js';
import { decidePromotion, requestPromotion } from '../../apps/console/src/registry/services/promotions.js';
import { importReports } from '../../apps/console/src/registry/services/reports.js';
import { listReviews } from '../../apps/console/src/registry/services/reviews.js';

/**
 * The tiny LLM through the lifecycle the churn model goes through: its golden-prompt suite gates the
 * promotion, an approver approves, the bundle reaches a real agent that serves it through the slot
 * proxy, the proxy records what the runtime says about its work (tokens, finish reasons, time per
 * output token) and counts the LLM's drift signals, and the registry opens a drift review from the
 * host's signed report when the prompts change.
 */
const suiteDir = useSuiteTempDirs();
let t: TestRegistry;
let agent: RunningAgent;
let dir: string;

const complete = async (prompt: string) => {
  const res = await fetch(`http://127.0.0.1:${agent.proxy}/v1/completions`, { method: 'POST', body: JSON.stringify({ prompt }) });
  expect(res.status).toBe(200);
  return (await res.json()) as { text: string; finish_reason: string; usage: { completion_tokens: number } };
};

beforeAll(async () => {
  dir = await suiteDir();
  t = await makeRegistry(join(dir, 'registry'));
  createEnvironment(t.reg, t.as.alice, { name: 'prod', tier: 1, policy: { approvals: 1, requiredSuites: [{ suite: 'golden', thresholds: [{ metric: 'exact_match', min: 1 }] }] } });
  // Windows of 100 tapped requests, so that a few hundred prompts make several.
  const ports = { admin: await freePort(), proxy: await freePort() };
  agent = await startAgent({ stateDir: join(dir, 'host'), rootFile: join(t.reg.home.roots, '1.root.json'), ports, config: { requireApprovals: true, slots: { 'tiny-llm': { listen: ports.proxy, drift: { windowRequests: 100, windowSeconds: 0 } } } } });
  const enrollDir = join(dir, 'enroll');
  const enrolled = await agentCli(['--config', join(agent.stateDir, 'agent.json'), 'enroll', '--out', enrollDir]);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const [file] = await readdir(enrollDir);
  enrollHost(t.reg, t.as.olga, await readFile(join(enrollDir, file!)));
  assignHost(t.reg, t.as.olga, 'host-1', 'prod');
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  t?.reg.close();
});

describe('the tiny LLM under the same lifecycle as the classic model', () => {
  it('imports with its drift profile, passes its declared golden-prompt suite, and refuses results for a suite it does not declare', async () => {
    const { version } = await importModel(t.reg, t.as.bob, { path: TINY_LLM, model: 'tiny-llm' });
    const profile = components.of(t.reg.db, version.id).find((c) => c.role === 'drift_profile')!;
    const parsed = DriftProfileSchema.parse(JSON.parse(await readFile(t.reg.store.pathOf(profile.digest), 'utf8')));
    expect(parsed.features.map((f) => f.spec.name)).toEqual(['prompt_length', 'response_length', 'completion_tokens', 'finish_reason']);
    expect(await runEvaluation(t.reg, t.as.bob, 'tiny-llm@1', 'golden')).toMatchObject({ suite: 'golden', metrics: { exact_match: 1, prompts: 6 } });
    expect(() => recordEvaluation(t.reg, t.as.bob, 'tiny-llm@1', 'helpfulness', { metrics: { score: 1 } })).toThrow(expect.objectContaining({ code: 'NOT_FOUND', message: 'tiny-llm@1 declares no suite "helpfulness"; it declares golden.' }));
  });

  it('is validated, requested into prod, approved by someone else, deployed, and served by a real agent', async () => {
    await transitionVersion(t.reg, t.as.bob, 'tiny-llm@1', 'validated', 'golden prompts pass');
    const { promotion } = await requestPromotion(t.reg, t.as.bob, 'tiny-llm@1', 'prod');
    expect(promotion.state).toBe('awaiting_approval');
    expect((await decidePromotion(t.reg, t.as.carol, promotion.id, 'approve', 'answers as expected')).promotion.state).toBe('active');
    const d = createDeployment(t.reg, t.as.olga, { model: 'tiny-llm', env: 'prod' });
    const { path } = await exportBundle(t.reg, t.as.olga, d.id, join(dir, 'usb'), { delta: 'none', mkdir: true });
    expect(await agent.call({ op: 'apply', path })).toMatchObject({ outcome: 'applied' });
    expect(await complete('please keep the air gap safe')).toMatchObject({ text: 'air gap safe', finish_reason: 'stop', usage: { completion_tokens: 3 } });
  }, 60_000);

  it("records the runtime's tokens, finish reasons and time per output token, on /metrics and in the status report", async () => {
    const reference = (await readFile(join(TINY_LLM, 'reference.jsonl'), 'utf8')).trim().split('\n').slice(0, 200);
    for (const line of reference) await complete((JSON.parse(line) as { request: { prompt: string } }).request.prompt);
    const slot = (await agent.call({ op: 'status' })).slots[0]!;
    expect(slot.llm).toMatchObject({ answers: 201, finishReasons: { stop: 201 } });
    const expectedTokens = reference.reduce((n, l) => n + (JSON.parse(l) as { response: { usage: { completion_tokens: number } } }).response.usage.completion_tokens, 3);
    expect(slot.llm!.completionTokens).toBe(expectedTokens);
    expect(slot.llm!.timePerOutputTokenMs.p50).toBeGreaterThan(0);
    const metrics = await (await fetch(`http://127.0.0.1:${agent.admin}/metrics`)).text();
    expect(metrics).toContain(`airlock_llm_completion_tokens_total{slot="tiny-llm",version="tiny-llm@1"} ${expectedTokens}`);
    expect(metrics).toContain('airlock_llm_finish_reasons_total{slot="tiny-llm",version="tiny-llm@1",reason="stop"} 201');
    expect(metrics).toMatch(/airlock_llm_time_per_output_token_seconds_count\{slot="tiny-llm",version="tiny-llm@1"\} \d+/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    expect(check.error, 'promtool is not installed: apt-get install prometheus').toBeUndefined();
    expect({ code: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({ code: 0, out: '' });
  });

  it('counts the LLM drift signals, and a change of prompts comes back to the registry as a drift review', async () => {
    // Long prompts of words the model does not know: empty answers, no tokens, longer prompts.
    for (let i = 0; i < 400; i++) await complete(`translate this paragraph into formal english number ${i} quickly`);
    const drift = (await agent.call({ op: 'status' })).drift[0]!;
    expect(drift.windows.at(-1)).toMatchObject({ verdict: 'drift', alarm: true });
    const drifting = drift.windows.at(-1)!.features.filter((f) => f.verdict === 'drift').map((f) => f.name);
    expect(drifting).toEqual(expect.arrayContaining(['prompt_length', 'response_length', 'completion_tokens']));

    await agent.call({ op: 'report' });
    const stick = join(dir, 'stick');
    await mkdir(stick, { recursive: true });
    await agentCli(['--config', join(agent.stateDir, 'agent.json'), 'export-reports', '--to', stick]);
    const imported = await importReports(t.reg, t.as.olga, stick);
    expect(imported.rejected).toEqual([]);
    const review = listReviews(t.reg, t.as.olga).find((r) => r.kind === 'drift');
    expect(review).toMatchObject({ subject: 'version:tiny-llm@1', detail: expect.stringMatching(/^host-1: drift alarm .*prompt_length/) });
    const shown = showDrift(t.reg, t.as.olga, { ref: 'tiny-llm', limit: 50 });
    expect(shown.versions[0]!.hosts[0]!.windows.some((w) => w.alarm)).toBe(true);
    const statusBody = StatusSchema.parse(JSON.parse(t.reg.db.raw.prepare(`SELECT last_status FROM hosts WHERE host_id = 'host-1'`).pluck().get() as string));
    expect(statusBody.slots[0]!.llm!.answers).toBe(601);
  });
});
