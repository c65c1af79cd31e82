/**
 * `npm run screenshots`: a PNG of every screen, from a registry with a model promoted, deployed and
 * reported on and a second version awaiting approval, in Debian's Chromium through the web console.
 * Writes docs/screenshots/<screen>.png; the README shows fleet, promotion, compare and audit.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEvaluation } from '../../apps/console/src/registry/services/evaluations.js';
import { importModel } from '../../apps/console/src/registry/services/import.js';
import { transitionVersion } from '../../apps/console/src/registry/services/lifecycle.js';
import { requestPromotion } from '../../apps/console/src/registry/services/promotions.js';
import { churnVariant, PASSPHRASE } from '../helpers/registry.js';
import { go } from '../helpers/console-page.js';
import { launchChromium, startWebConsole } from '../helpers/web-console.js';
import { makeWorld } from '../helpers/world.js';

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const SCREENS: [name: string, hash: string][] = [
  ['models', '/models'],
  ['model', '/models/churn'],
  ['version', '/models/churn/1'],
  ['compare', '/compare?from=churn@1&to=churn@2'],
  ['import', '/import'],
  ['promotions', '/promotions'],
  ['promotion', '/promotions/2'],
  ['environments', '/environments'],
  ['deployments', '/deployments'],
  ['fleet', '/fleet'],
  ['reports', '/reports'],
  ['reviews', '/reviews'],
  ['audit', '/audit'],
  ['users', '/users'],
];

const work = await mkdtemp(join(tmpdir(), 'airlock-screens-'));
try {
  const w = await makeWorld(work);
  // A second version with a changed file and its own evaluation, asking for prod: something to compare and to approve.
  const v2 = await churnVariant(work, 'v2');
  await writeFile(join(v2, 'NOTES.md'), 'retrained on November data\n');
  await importModel(w.reg, w.as.bob, { path: v2, model: 'churn' });
  await runEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout');
  await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'holdout passed');
  await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
  w.reg.close();
  const c = await startWebConsole(w.reg.home.dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    await page.goto(c.url);
    await page.getByLabel('User').fill('aud');
    await page.getByLabel('Passphrase').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock', exact: true }).click();
    await page.getByRole('heading', { name: /Models/ }).waitFor();
    await mkdir(OUT, { recursive: true });
    for (const [name, hash] of SCREENS) {
      await go(page, hash);
      await page.waitForLoadState('networkidle');
      for (let i = 0; i < 100 && (await page.getByText(/^Loading/).count()) > 0; i++) await page.waitForTimeout(100);
      await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
      console.log(`wrote docs/screenshots/${name}.png`);
    }
  } finally {
    await browser.close();
    await c.stop();
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
