import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importReports } from '../../apps/console/src/registry/services/reports.js';
import { components } from '../../apps/console/src/registry/repos/components.js';
import { go, see, unlock } from '../helpers/console-page.js';
import { report, statusBody } from '../helpers/hosts.js';
import { CHURN, PASSPHRASE } from '../helpers/registry.js';
import { useTempDirs } from '../helpers/tmp.js';
import { launchChromium, openOnWorld, type RunningConsole } from '../helpers/web-console.js';
import { driftingWindows, useWorld, type World } from '../helpers/world.js';
import { airlock } from '../helpers/cli.js';

/**
 * Drift in the console: the model page charts what hosts reported and lists the alarms and the
 * retraining requested; a drift review is resolved only with a decision, which the registry records.
 */
const tempDir = useTempDirs();
const { fork } = useWorld();
let browser: Browser;
const running: RunningConsole[] = [];
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

/** A new alarm from the world's host, in windows no earlier report carried: an open drift review. */
async function newAlarm(w: World): Promise<void> {
  const digests = components.of(w.reg.db, w.versionId).map((c) => c.digest);
  const status = statusBody({ slot: 'churn', model: 'churn', version: 1, digest: w.reg.db.raw.prepare('SELECT digest FROM versions WHERE id = ?').pluck().get(w.versionId) as string, healthy: true }, digests);
  status.drift = [{ slot: 'churn', model: 'churn', version: 1, digest: status.slots[0]!.digest!, tapped: 1200, windows: await driftingWindows(w, w.versionId, CHURN, 10) }];
  const stick = await tempDir();
  await mkdir(stick, { recursive: true });
  await writeFile(join(stick, 'status.json'), report(w.host, 'status', status));
  const { reviews } = await importReports(w.reg, w.as.olga, stick);
  expect(reviews).toHaveLength(1);
}

/** Drift review items as the registry holds them, read by the CLI as an auditor, newest first. */
async function driftReviews(w: World): Promise<{ kind: string; note: string | null; resolvedBy: string | null }[]> {
  const r = await airlock(['--home', w.reg.home.dir, '--user', 'aud', '--json', 'review', 'list', '--all']);
  return (JSON.parse(r.stdout) as { result: { kind: string; note: string | null; resolvedBy: string | null }[] }).result.filter((x) => x.kind === 'drift');
}

const open = (prepare?: (w: World) => Promise<void>) => openOnWorld(browser, fork, running, prepare);

describe('drift in the console', () => {
  it("charts each host's drift windows on the model page, lists the alarms and the retraining requested, which the fleet shows too", async () => {
    const { page, problems } = await open();
    await unlock(page, 'aud', PASSPHRASE);
    await go(page, '/models/churn');
    await see(page.locator('figcaption').filter({ hasText: 'PSI per feature' }), /churn@1 on host-a: PSI per feature \(600 requests tapped\)/);
    expect(await page.locator('figure.chart canvas').count()).toBeGreaterThan(0);
    await see(page.getByRole('table', { name: 'Windows that raised a drift alarm' }), /churn@1.*host-a.*2026-11-30 01:00:00.*200.*tenure_months \((mean|chi-square)\)/);
    await see(page.getByRole('table', { name: 'Retraining requests decided on drift reviews' }), /churn@1.*olga.*customers stay longer since the new contract/);
    // The fleet shows what retraining was asked for, of every model.
    await go(page, '/fleet');
    await see(page.getByRole('table', { name: 'Retraining requests decided on drift reviews' }), /churn@1.*#\d+.*olga/);
    expect(problems).toEqual([]);
  });

  it('resolves a drift review only with a decision, and the registry records it', async () => {
    const { w, page, problems } = await open(newAlarm);
    await unlock(page, 'olga', PASSPHRASE);
    await go(page, '/reviews');
    const form = page.getByRole('form', { name: /Resolve #\d+/ }).filter({ has: page.getByLabel('Decision') });
    await expect.poll(() => form.count()).toBe(1);
    await form.getByLabel('Note').fill('seasonal: new contracts in November');
    await form.getByRole('button', { name: /Resolve/ }).click();
    // The browser holds the form back until a decision is chosen: nothing reached the registry.
    expect((await driftReviews(w)).filter((r) => r.resolvedBy === null)).toHaveLength(1);
    await form.getByLabel('Decision').selectOption('accept');
    await form.getByRole('button', { name: /Resolve/ }).click();
    await expect.poll(async () => (await driftReviews(w)).filter((r) => r.resolvedBy === null).length, { timeout: 15_000 }).toBe(0);
    expect((await driftReviews(w)).map((r) => [r.note, r.resolvedBy])).toEqual([['accept: seasonal: new contracts in November', 'olga'], ['retrain: customers stay longer since the new contract', 'olga']]);
    expect(problems).toEqual([]);
  });
});
