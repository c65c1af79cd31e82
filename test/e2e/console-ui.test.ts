import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from '@playwright/test';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importModel } from '../../apps/console/src/registry/services/import.js';
import { runEvaluation } from '../../apps/console/src/registry/services/evaluations.js';
import { transitionVersion } from '../../apps/console/src/registry/services/lifecycle.js';
import { requestPromotion } from '../../apps/console/src/registry/services/promotions.js';
import { setPolicy } from '../../apps/console/src/registry/services/environments.js';
import { churnVariant, PASSPHRASE } from '../helpers/registry.js';
import { go as goTo, see, unlock as unlockAs } from '../helpers/console-page.js';
import { useTempDirs } from '../helpers/tmp.js';
import { airlock } from '../helpers/cli.js';
import { launchChromium, openOnWorld, startWebConsole, type RunningConsole } from '../helpers/web-console.js';
import { useWorld, type World } from '../helpers/world.js';

const tempDir = useTempDirs();
const { fork } = useWorld();
let browser: Browser;
const running: RunningConsole[] = [];
const unlock = (page: Page, user: string, passphrase = PASSPHRASE) => unlockAs(page, user, passphrase);
const go = (page: Page, _c: RunningConsole, screen: string) => goTo(page, screen);
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
});
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
});

const open = (prepare?: (w: World) => Promise<void>) => openOnWorld(browser, fork, running, prepare);

/** What the registry holds, read by the CLI as an auditor: independent of what the page shows. */
async function registry<T>(w: World, args: string[]): Promise<T> {
  const r = await airlock(['--home', w.reg.home.dir, '--user', 'aud', '--json', ...args]);
  if (r.code !== 0) throw new Error(r.stderr);
  return (JSON.parse(r.stdout) as { result: T }).result;
}

describe('the console in Chromium', () => {
  it('lists versions, filters and sorts them in the registry, and opens a version and a comparison', async () => {
    const { c, page, problems } = await open();
    await unlock(page, 'aud');
    await see(page.getByRole('heading', { name: /Models/ }), 'Models (1 versions)');
    await see(page.getByRole('row').nth(1), /churn.*1.*classic.*validated.*prod/);
    await page.getByRole('searchbox').fill('nothing-like-it');
    await see(page.locator('.empty'), 'No version matches');
    await page.getByRole('searchbox').fill('chu');
    await see(page.getByRole('heading', { name: /Models/ }), 'Models (1 versions)');
    await page.getByRole('button', { name: /State/ }).click();
    await expect.poll(() => page.getByRole('columnheader', { name: /State/ }).getAttribute('aria-sort')).toBe('ascending');
    await page.getByRole('link', { name: '1', exact: true }).click();
    await see(page.getByRole('heading', { level: 2 }), /churn@1/);
    await see(page.getByRole('table', { name: 'Components' }), /serve\.mjs/);
    // The world's churn@1 names a dataset the registry does not hold as a version: listed, in good standing.
    await see(page.getByRole('table', { name: 'Governed dependencies' }), /dataset.*not in this registry.*good/);
    // An auditor is spared forms only other roles may send, and told why.
    await see(page.getByRole('form', { name: 'Run suite' }).getByRole('note'), 'Run suite needs the role admin or ml-engineer; aud is auditor.');
    await go(page, c, '/users');
    await see(page.getByRole('form', { name: 'Add user' }).getByRole('note'), 'Add user needs the role admin; aud is auditor.');
    expect(await page.getByRole('button', { name: 'Add user' }).isDisabled()).toBe(true);
    // A malformed URL is a refusal on that screen, not a blank console.
    await go(page, c, '/models/%E0');
    await see(page.locator('main'), /USAGE "%E0" is not a version reference/);
    await go(page, c, '/models/churn/1');
    // The first version has none before it to compare with.
    expect(await page.getByRole('link', { name: 'Compare with the version before' }).count()).toBe(0);
    await go(page, c, '/compare?from=churn@1&to=churn@1');
    await see(page.getByRole('heading', { level: 2 }), 'Compare churn@1 with churn@1');
    await see(page.getByRole('region', { name: 'Files' }), 'No change.');
    expect(problems).toEqual([]);
  });

  it("shows the fleet: health, serving version, and a host's latency and errors over its reports", async () => {
    const { c, page, problems } = await open();
    await unlock(page, 'aud');
    await go(page, c, '/fleet');
    await see(page.getByRole('table', { name: 'Hosts' }), /host-a.*prod.*healthy.*churn@1/);
    await page.getByRole('button', { name: 'History of host-a' }).click();
    await see(page.getByRole('heading', { name: 'host-a over time' }), 'host-a over time');
    await see(page.locator('figure figcaption').first(), 'churn: latency');
    expect(problems).toEqual([]);
  });

  it('flags a governed dependency that was revoked as blocking promotion', async () => {
    const { c, page, problems } = await open(async (w) => {
      const base = await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'base'), model: 'base' });
      const child = await churnVariant(await tempDir(), 'child');
      const file = JSON.parse(await readFile(join(child, 'airlock-model.json'), 'utf8')) as { dependencies?: Record<string, unknown> };
      await writeFile(join(child, 'airlock-model.json'), JSON.stringify({ ...file, dependencies: { ...file.dependencies, baseModel: base.version.digest } }));
      await importModel(w.reg, w.as.bob, { path: child, model: 'child' });
      await transitionVersion(w.reg, w.as.alice, 'base@1', 'revoked', 'trained on leaked data');
    });
    await unlock(page, 'aud');
    await go(page, c, '/models/child/1');
    await see(page.getByRole('table', { name: 'Governed dependencies' }), /base model.*base@1.*revoked.*blocks promotion/);
    expect(problems).toEqual([]);
  });

  it('imports a folder after previewing it, with a refusal for a folder without a manifest that changes nothing', async () => {
    const { w, c, page, problems } = await open();
    await unlock(page, 'bob');
    await go(page, c, '/import');
    const empty = await tempDir();
    await mkdir(join(empty, 'plain'));
    await page.getByLabel('Folder (or file)').fill(join(empty, 'plain'));
    await page.getByLabel('Model name').fill('plain');
    await page.getByRole('button', { name: 'Preview' }).click();
    await see(page.getByRole('alert'), /USAGE.*There is no airlock-model\.json/);
    const folder = await churnVariant(await tempDir(), 'ui');
    await page.getByLabel('Folder (or file)').fill(folder);
    await page.getByLabel('Model name').fill('churn');
    await page.getByRole('button', { name: 'Preview' }).click();
    await see(page.getByRole('region', { name: 'Preview' }).or(page.locator('.preview')), /airlock-model\.json declares a classic model.*suites holdout.*deployable/s);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await see(page.locator('.done'), /Imported churn@2 \(registered\)/);
    // A big import keeps running, in view and cancellable, when the person moves to another screen.
    const big = await churnVariant(await tempDir(), 'big');
    await writeFile(join(big, 'weights.bin'), (async function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(16 * 1024 * 1024, i);
    })());
    await page.getByLabel('Folder (or file)').fill(big);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('region', { name: 'Running jobs' }).waitFor();
    await go(page, c, '/audit');
    await see(page.getByRole('region', { name: 'Running jobs' }), /Import/);
    await page.getByRole('button', { name: 'Cancel Import' }).click();
    await expect.poll(() => page.getByRole('region', { name: 'Running jobs' }).count(), { timeout: 15_000 }).toBe(0);
    // Cancelled mid-import: nothing was registered.
    expect((await registry<{ rows: { ref: string }[] }>(w, ['model', 'versions'])).rows.map((r) => r.ref)).toEqual(['churn@1', 'churn@2']);
    const page2 = await registry<{ rows: { ref: string }[] }>(w, ['model', 'versions']);
    expect(page2.rows.map((r) => r.ref)).toEqual(['churn@1', 'churn@2']);
    expect(problems).toEqual([]);
  }, 60_000);

  it('evaluates, previews gates, requests; the requester cannot approve and a second person does', async () => {
    const { c, page, problems } = await open();
    await unlock(page, 'bob');
    await go(page, c, '/import');
    await page.getByLabel('Folder (or file)').fill(await churnVariant(await tempDir(), 'promote'));
    await page.getByLabel('Model name').fill('churn');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await see(page.locator('.done'), /churn@2/);
    await go(page, c, '/models/churn/2');
    await page.getByRole('button', { name: 'Run suite' }).click();
    await see(page.getByRole('form', { name: 'Run suite' }).locator('.done'), /Recorded accuracy/);
    await page.getByRole('form', { name: 'Change state' }).getByLabel('Reason').fill('looks right');
    await page.getByRole('button', { name: 'Change state' }).click();
    await see(page.getByRole('form', { name: 'Change state' }).locator('.done'), 'churn@2: registered → validated.');
    await page.getByRole('button', { name: 'Preview gates' }).click();
    await see(page.getByRole('list', { name: 'Gates' }), /✓ passed/);
    await page.getByRole('button', { name: 'Request promotion to prod' }).click();
    await see(page.locator('.promote .done'), /Promotion #2.*awaiting approval/);
    await page.getByRole('link', { name: 'Promotion #2' }).click();
    await see(page.getByRole('note'), /You requested this promotion, so you cannot approve it/);
    expect(await page.getByRole('button', { name: 'Sign decision' }).count()).toBe(0);
    // carol unlocks beside bob and approves; the page says whose session acts.
    await page.getByRole('button', { name: 'Unlock another person' }).click();
    await unlock(page, 'carol');
    await see(page.locator('.acting'), /Acting as carol/);
    await go(page, c, '/promotions/2');
    await page.getByLabel('Note').fill('evidence checked');
    await page.getByRole('button', { name: 'Sign decision' }).click();
    await see(page.getByRole('heading', { level: 2 }), /Promotion #2: churn@2 → prod\s*active/);
    await see(page.getByRole('list', { name: 'Timeline' }), /approved by carol/);
    expect(problems).toEqual([]);
  }, 90_000);

  it('refuses an overlay that violates the schema and an export to a folder that does not exist, and changes nothing', async () => {
    const { w, c, page, problems } = await open();
    await unlock(page, 'olga');
    await go(page, c, '/environments');
    await page.getByRole('button', { name: 'prod' }).click();
    await page.getByLabel('Model', { exact: true }).fill('churn');
    await page.getByLabel(/Overlay/).fill('{"threshold": "high"}');
    // Checked as it is typed, before anything is sent to be set.
    await see(page.getByRole('form', { name: 'Set config overlay' }).getByRole('status'), /CONFIG_INVALID|INVALID_INPUT/);
    await page.getByRole('button', { name: 'Set config overlay' }).click();
    await see(page.getByRole('form', { name: 'Set config overlay' }).getByRole('alert'), /CONFIG_INVALID|INVALID_INPUT/);
    await page.getByLabel(/Overlay/).fill('{"threshold": 0.7}');
    await see(page.getByRole('form', { name: 'Set config overlay' }).getByRole('status'), /Valid for churn's config schema/);
    await go(page, c, '/deployments');
    await page.getByLabel('Deployment #').fill(String(w.deploymentId));
    // host-a reported holding every blob of churn@1: a delta carries none; a full bundle all.
    await see(page.getByRole('form', { name: 'Export bundle' }).getByRole('status'), /Carries 0 of \d+ blob\(s\): 0\.0 MiB/);
    await page.getByLabel('Content').selectOption('none');
    await see(page.getByRole('form', { name: 'Export bundle' }).getByRole('status'), /Carries (\d+) of \1 blob/);
    const missing = join(await tempDir(), 'no-stick');
    await page.getByLabel('To folder (a USB stick)').fill(missing);
    await page.getByRole('button', { name: 'Export bundle' }).click();
    await see(page.getByRole('form', { name: 'Export bundle' }).getByRole('alert'), /NOT_FOUND|IO_ERROR|USAGE/);
    expect(existsSync(missing)).toBe(false);
    const stick = await tempDir();
    await page.getByLabel('To folder (a USB stick)').fill(stick);
    await page.getByRole('button', { name: 'Export bundle' }).click();
    await see(page.getByRole('form', { name: 'Export bundle' }).locator('.done'), /Wrote .*\.airlock/);
    expect((await readdir(stick)).filter((f) => f.endsWith('.airlock'))).toHaveLength(1);
    expect(problems).toEqual([]);
  }, 60_000);

  it('verifies the registry from the audit screen, resolves a review and adds a user', async () => {
    const { c, page, problems } = await open();
    await unlock(page, 'alice');
    await go(page, c, '/audit');
    await page.getByRole('button', { name: 'Verify the registry' }).click();
    await see(page.locator('.verdict'), /Intact/);
    await see(page.getByRole('table', { name: 'Audit events' }), /model\.import/);
    await page.getByLabel('Action').fill('promote.approve');
    await expect.poll(() => page.getByRole('table', { name: 'Audit events' }).getByRole('row').count()).toBe(2);
    await see(page.getByRole('table', { name: 'Audit events' }), /carol.*promote\.approve.*promotion:1/);
    // A subject links to its screen.
    await page.getByRole('link', { name: 'promotion:1' }).click();
    await see(page.getByRole('heading', { level: 2 }), /Promotion #1: churn@1 → prod/);
    await page.goBack();
    await see(page.getByRole('heading', { level: 2 }), 'Audit');
    await page.getByLabel('Until').fill('2000-01-01T00:00');
    await see(page.locator('main'), /No event matches/);
    await page.getByLabel('Until').fill('');
    await page.getByLabel('Action').fill('');
    await go(page, c, '/users');
    await page.getByLabel('Name', { exact: true }).fill('erin');
    await page.getByLabel('auditor').check();
    await page.getByLabel(/Their passphrase/).fill('erin-s-passphrase');
    await page.getByRole('button', { name: 'Add user' }).click();
    await see(page.getByRole('table', { name: 'Users' }), /erin.*auditor/);
    await page.getByRole('button', { name: 'Unlock another person' }).click();
    await unlock(page, 'carol');
    await go(page, c, '/reviews');
    // The world's host refused a bundle: one open item.
    await see(page.getByRole('table', { name: 'Review items' }), /host refused.*BUNDLE_EXPIRED/);
    await page.getByRole('form', { name: 'Resolve #1' }).getByLabel('Note').fill('host clock fixed');
    await page.getByRole('button', { name: 'Resolve #1' }).click();
    await see(page.locator('main'), /Nothing to review/);
    await page.getByLabel('resolved ones too').check();
    await see(page.getByRole('table', { name: 'Review items' }), /carol: host clock fixed/);
    expect(problems).toEqual([]);
  }, 60_000);

  it('runs a root ceremony and revokes someone who leaves, from the users screen', async () => {
    const { c, w, page, problems } = await open();
    const dir = await tempDir();
    const before = await registry<{ version: number }[]>(w, ['root', 'list']);
    await unlock(page, 'alice');
    await go(page, c, '/users');
    const propose = page.getByRole('form', { name: 'Propose root' });
    await propose.getByLabel('Draft file to write').fill(join(dir, 'root.draft.json'));
    await propose.getByLabel("Key joining: person's key").selectOption('carol');
    await propose.getByLabel('joins the role').selectOption('root');
    await page.getByRole('button', { name: 'Propose root' }).click();
    await see(propose.locator('.done'), /root gains key .*Waiting for more root-key holders/s);
    const sign = page.getByRole('form', { name: 'Sign draft' });
    await sign.getByLabel('Draft to sign with your key').fill(join(dir, 'root.draft.json'));
    await page.getByRole('button', { name: 'Sign draft' }).click();
    await see(sign.locator('.done'), /1 of 1 needed.*Both thresholds are met/s);
    const publish = page.getByRole('form', { name: 'Publish root' });
    await publish.getByLabel('Signed draft').fill(join(dir, 'root.draft.json'));
    await page.getByRole('button', { name: 'Publish root' }).click();
    const next = before.length + 1;
    await see(publish.locator('.done'), `Published root version ${next}`);
    await see(page.getByRole('table', { name: 'Root versions' }).getByRole('row').last(), new RegExp(`^${next}.*1 of 2`));

    const revoke = page.getByRole('form', { name: 'Revoke user' });
    await revoke.getByLabel('Person').selectOption('olga');
    await revoke.getByLabel('Reason').fill('left the company');
    await page.getByRole('button', { name: 'Revoke user' }).click();
    await see(revoke.locator('.done'), `Revoked olga; root version ${next + 1} drops the key from release.`);
    await see(page.getByRole('table', { name: 'Users' }), /olga.*disabled/);
    // What the registry holds, read independently of the page.
    const roots = await registry<{ version: number; roles: { root: { keyIds: string[] }; release: { keyIds: string[] } } }[]>(w, ['root', 'list']);
    const people = await registry<{ name: string; keyId: string; disabled: boolean }[]>(w, ['user', 'list']);
    const key = (n: string) => people.find((p) => p.name === n)!.keyId;
    expect(roots.at(-2)!.roles.root.keyIds).toContain(key('carol'));
    expect(roots.at(-1)!.roles.release.keyIds).not.toContain(key('olga'));
    expect(people.find((p) => p.name === 'olga')!.disabled).toBe(true);
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows what the review calendar makes due: an overdue count on the fleet, the items and what comes round next', async () => {
    const { c, page, problems } = await open(async (w) => {
      setPolicy(w.reg, w.as.alice, 'prod', { approvals: 1, requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8 }] }], reviews: { activeVersionDays: 10, rootExpiryWarnDays: 400 } });
    });
    await unlock(page, 'aud');
    await go(page, c, '/fleet');
    await see(page.getByRole('note', { name: 'Overdue reviews' }), /1 review overdue by the review calendar \(all environments: 1\)/);
    await page.getByRole('link', { name: 'open the review queue' }).click();
    await see(page.getByRole('table', { name: 'Review items' }), /root expiry.*root:\d+.*expires on/);
    const calendar = page.getByRole('table', { name: 'Review calendar' });
    const tenDays = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    await see(calendar, new RegExp(`due ${tenDays}.*periodic review.*active:prod/churn@1.*reviewed every 10 days`));
    await see(calendar, /overdue since .*root expiry.*#\d+/);
    await calendar.getByRole('link', { name: 'active:prod/churn@1' }).click();
    await see(page.getByRole('heading', { level: 2 }), /churn@1/);
    expect(problems).toEqual([]);
  }, 60_000);

  it('writes a compliance report from the audit screen and verifies it against its signature', async () => {
    const { c, page, problems } = await open();
    const out = join(await tempDir(), 'prod.html');
    await unlock(page, 'aud');
    await go(page, c, '/audit');
    const issue = page.getByRole('form', { name: 'Write compliance report' });
    await issue.getByLabel('Environment').selectOption('prod');
    await issue.getByLabel('Report file (.html or .pdf)').fill(out);
    await page.getByRole('button', { name: 'Write compliance report' }).click();
    await see(issue.locator('.done'), /Wrote .*prod\.html \(html, sha256:[0-9a-f]{64}\) as of audit event \d+, signed by aud/);
    expect(await readFile(out, 'utf8')).toContain('<section id="audit">');
    const check = page.getByRole('form', { name: 'Verify report' });
    await check.getByLabel('Report to verify').fill(out);
    await page.getByRole('button', { name: 'Verify report' }).click();
    await see(check.locator('.done'), /Verified: the prod report aud signed at .*, unchanged\./);
    expect(problems).toEqual([]);
  }, 60_000);

  it('keeps a refused decision in view: approving evidence that changed since the request', async () => {
    const { c, page, problems } = await open(async (w) => {
      await importModel(w.reg, w.as.bob, { path: await churnVariant(await tempDir(), 'refused'), model: 'churn' });
      await runEvaluation(w.reg, w.as.bob, 'churn@2', 'holdout');
      await transitionVersion(w.reg, w.as.bob, 'churn@2', 'validated', 'ok');
      await requestPromotion(w.reg, w.as.bob, 'churn@2', 'prod');
      await transitionVersion(w.reg, w.as.alice, 'churn@2', 'quarantined', 'suspicious data');
    });
    await unlock(page, 'carol');
    await go(page, c, '/promotions/2');
    await page.getByRole('button', { name: 'Sign decision' }).click();
    await see(page.locator('.refused'), /Your decision: Promotion #2.*(expired|rejected|gates failed)/);
    await see(page.locator('.refused').getByRole('alert'), /^[A-Z_]+ /);
    expect(problems).toEqual([]);
  });

  it('when the session locks while a form is open, asks to unlock over the screen and keeps what was typed', async () => {
    const w = await fork();
    w.reg.close();
    const c = await startWebConsole(w.reg.home.dir, ['--idle-minutes', '1']);
    running.push(c);
    const page = await (await browser.newContext()).newPage();
    await page.goto(c.url);
    await unlock(page, 'alice');
    await go(page, c, '/environments');
    const create = page.getByRole('form', { name: 'Create environment' });
    await create.getByLabel('Name', { exact: true }).fill('staging');
    // The registry locks a session after a minute without a call.
    await page.waitForTimeout(61_000);
    await page.getByRole('button', { name: 'Create environment' }).click();
    await see(page.getByRole('alertdialog'), /alice's session is locked/);
    expect(await create.getByLabel('Name', { exact: true }).inputValue()).toBe('staging');
    await page.getByLabel('Passphrase of alice').fill(PASSPHRASE);
    await page.getByRole('button', { name: 'Unlock again' }).click();
    await expect.poll(() => page.getByRole('alertdialog').count()).toBe(0);
    await page.getByRole('button', { name: 'Create environment' }).click();
    await see(create.locator('.done'), 'Created staging (tier 0).');
  }, 120_000);

  it('creates the registry on the first run, where there is none, then unlocks its admin', async () => {
    const home = join(await tempDir(), 'new-registry');
    const c = await startWebConsole(home);
    running.push(c);
    expect(c.output().stdout).toContain('There is no registry there yet');
    const page = await (await browser.newContext()).newPage();
    await page.goto(c.url);
    await see(page.getByRole('heading', { level: 2 }), 'Create the registry');
    await page.getByLabel('Admin').fill('alice');
    await page.getByLabel('Passphrase', { exact: true }).fill('first run passphrase');
    await page.getByLabel('Passphrase again').fill('not the same');
    await page.getByRole('button', { name: 'Create registry' }).click();
    await see(page.getByRole('alert'), /INVALID_INPUT.*differ/);
    expect(existsSync(join(home, 'registry.sqlite'))).toBe(false);
    await page.getByLabel('Passphrase again').fill('first run passphrase');
    await page.getByRole('button', { name: 'Create registry' }).click();
    await see(page.getByRole('heading', { level: 2 }), 'Registry created');
    await see(page.locator('main'), /admin alice, root of trust v1 \(1 of 1 root keys/);
    await page.getByRole('button', { name: 'Continue to unlock' }).click();
    await unlockAs(page, 'alice', 'first run passphrase');
    await see(page.getByRole('heading', { name: /Models/ }), 'Models (0 versions)');
    // The registry is real: the CLI verifies it as its admin.
    const verify = await airlock(['--home', home, '--user', 'alice', 'verify'], { env: { AIRLOCK_PASSPHRASE: 'first run passphrase' } });
    expect([verify.code, verify.stdout]).toEqual([0, expect.stringContaining('registry intact')]);
  });

  it('works from the keyboard alone, and axe finds nothing serious on any screen, in light and dark', async () => {
    const { c, page } = await open();
    await page.getByLabel('User').waitFor();
    await page.keyboard.type('aud');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSPHRASE);
    await page.keyboard.press('Enter');
    await see(page.getByRole('heading', { name: /Models/ }), /Models/);
    // Tab to the navigation and open the audit screen with Enter.
    for (let i = 0; i < 30 && (await page.evaluate('document.activeElement?.textContent')) !== 'Audit'; i++) await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await see(page.getByRole('heading', { level: 2 }), 'Audit');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const hash of ['/models', '/models/churn', '/models/churn/1', '/compare?from=churn@1&to=churn@1', '/import', '/promotions', '/promotions/1', '/environments', '/deployments', '/fleet', '/reports', '/reviews', '/audit', '/users']) {
        await go(page, c, hash);
        await page.waitForLoadState('networkidle');
        // Each screen itself, with the session still acting, not the unlock form.
        await see(page.locator('.acting'), /Acting as aud/);
        await see(page.getByRole('heading', { level: 2 }), /\S/);
        await expect.poll(() => page.getByText(/^Loading/).count(), { timeout: 15_000 }).toBe(0);
        const { violations } = await new AxeBuilder({ page }).analyze();
        const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${scheme} ${hash}: ${v.id} (${v.nodes.length})`);
        expect(serious).toEqual([]);
      }
    }
  }, 120_000);
});
