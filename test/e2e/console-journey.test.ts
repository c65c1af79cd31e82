import { spawnSync } from 'node:child_process';
import { appendFile, cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { describe, expect, it } from 'vitest';
import { AGENT, startAgent, waitFor, type RunningAgent } from '../helpers/agent.js';
import { go, see, unlock } from '../helpers/console-page.js';
import { CHURN } from '../helpers/registry.js';
import { useTempDirs } from '../helpers/tmp.js';
import { launchChromium, startWebConsole } from '../helpers/web-console.js';

const tempDir = useTempDirs();
const PASS = 'journey passphrase';

/** The agent CLI on a host, as its operator would run it. */
function agentCli(state: string, args: string[]): string {
  const r = spawnSync(process.execPath, [AGENT, '--state', state, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`airlock-agent ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

type Slot = { release: string | null; healthy: boolean; state: string };
const slotOf = (state: string) => (JSON.parse(agentCli(state, ['--json', 'status'])) as { result: { slots: Slot[]; channels: Record<string, number> } }).result;

/** Runs a form's action and waits for what it says when done. */
async function act(page: Page, form: string, done: string | RegExp, timeout = 30_000): Promise<void> {
  await page.getByRole('button', { name: form, exact: true }).click();
  await see(page.getByRole('form', { name: form }).locator('.done, [role=alert]'), done, timeout);
}

describe('the operator journey in the console, with two real agents', () => {
  it('create the registry and its people → import → evaluate → approve as a second person → deploy → export → hosts apply → reports → fleet → a failing v2 rolled back → review → verify', async () => {
    const dir = await tempDir();
    const home = join(dir, 'registry');
    const usb = join(dir, 'usb');
    await mkdir(join(usb, 'reports'), { recursive: true });
    const agents: RunningAgent[] = [];
    const c = await startWebConsole(home);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(c.url);
      const as = async (user: string) => {
        const held = page.getByRole('button', { name: new RegExp(`^${user} \\(`) });
        if ((await held.count()) > 0) await held.click();
        else {
          await page.getByRole('button', { name: 'Unlock another person' }).click();
          await unlock(page, user, PASS);
        }
        await see(page.locator('.acting'), new RegExp(`Acting as ${user}`));
      };

      // The first run: alice creates the registry, then adds the others with their roles.
      await see(page.getByRole('heading', { level: 2 }), 'Create the registry');
      await page.getByLabel('Admin').fill('alice');
      await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
      await page.getByLabel('Passphrase again').fill(PASS);
      await page.getByRole('button', { name: 'Create registry' }).click();
      await page.getByRole('button', { name: 'Continue to unlock' }).click();
      await unlock(page, 'alice', PASS);
      await go(page, '/users');
      for (const [name, role] of [['bob', 'ml-engineer'], ['carol', 'approver'], ['olga', 'operator']] as const) {
        const add = page.getByRole('form', { name: 'Add user' });
        await add.getByLabel('Name', { exact: true }).fill(name);
        for (const r of ['ml-engineer', 'approver', 'operator']) await add.getByLabel(r, { exact: true }).setChecked(r === role);
        await add.getByLabel(/Their passphrase/).fill(PASS);
        await act(page, 'Add user', `Added ${name}.`);
      }
      // Adding an approver and an operator rotated the root of trust, so hosts will trust their keys.
      await expect.poll(() => page.getByRole('table', { name: 'Root versions' }).getByRole('row').count()).toBe(4);

      // alice: the environment, its policy and one approval.
      await go(page, '/environments');
      const create = page.getByRole('form', { name: 'Create environment' });
      await create.getByLabel('Name', { exact: true }).fill('prod');
      await create.getByLabel('Tier', { exact: true }).fill('1');
      await create.getByLabel('Policy (JSON)').fill(JSON.stringify({ requiredSuites: [{ suite: 'holdout', thresholds: [{ metric: 'accuracy', min: 0.8 }] }], approvals: 1 }));
      await act(page, 'Create environment', 'Created prod (tier 1).');

      // bob: import v1, evaluate, validate, request.
      await as('bob');
      const importVersion = async (folder: string, ref: string) => {
        await go(page, '/import');
        await page.getByLabel('Folder (or file)').fill(folder);
        await page.getByLabel('Model name').fill('churn');
        await page.getByRole('button', { name: 'Preview' }).click();
        await act(page, 'Import', new RegExp(`Imported ${ref}`));
        await go(page, `/models/churn/${ref.split('@')[1]}`);
        await act(page, 'Run suite', /Recorded accuracy/, 60_000);
        await page.getByRole('form', { name: 'Change state' }).getByLabel('Reason').fill('holdout passed');
        await act(page, 'Change state', `${ref}: registered → validated.`);
        await page.getByRole('button', { name: 'Preview gates' }).click();
        await see(page.getByRole('list', { name: 'Gates' }), /evaluation:holdout:accuracy/);
        await page.getByRole('button', { name: 'Request promotion to prod' }).click();
        await see(page.locator('.promote .done'), /awaiting approval/);
        const link = page.getByRole('link', { name: /^Promotion #\d+$/ });
        return Number((await link.textContent())!.slice('Promotion #'.length));
      };
      const approve = async (id: number) => {
        await as('carol');
        await go(page, `/promotions/${id}`);
        await page.getByLabel('Note').fill('evidence checked');
        await page.getByRole('button', { name: 'Sign decision' }).click();
        await see(page.getByRole('heading', { level: 2 }), /active/);
      };
      await approve(await importVersion(CHURN, 'churn@1'));

      // Two hosts (their operators run the agent), enrolled and assigned from the console by olga.
      for (const id of ['host-a', 'host-b']) {
        const agent = await startAgent({ stateDir: join(dir, id), rootFile: join(home, 'roots', '1.root.json'), source: usb, hostId: id, slot: 'churn', config: { requireApprovals: true, statusIntervalMs: 3_600_000 } });
        agents.push(agent);
        agentCli(agent.stateDir, ['--config', join(agent.stateDir, 'agent.json'), 'enroll', '--out', join(usb, 'enroll')]);
      }
      await as('olga');
      await go(page, '/reports');
      for (const id of ['host-a', 'host-b']) {
        await page.getByLabel(/Enrollment request/).fill(join(usb, 'enroll', `${id}.enrollment.json`));
        await act(page, 'Enroll host', new RegExp(`Enrolled ${id}`));
        await page.getByRole('form', { name: 'Assign host' }).getByLabel('Host').fill(id);
        await page.getByRole('form', { name: 'Assign host' }).getByLabel('Environment').fill('prod');
        await act(page, 'Assign host', `${id} now serves prod.`);
      }

      // Deploy v1 and export it to the stick; both hosts verify, apply and health-check it.
      const ship = async (n: number) => {
        await go(page, '/deployments');
        await page.getByRole('form', { name: 'Create deployment' }).getByLabel('Model').fill('churn');
        await page.getByRole('form', { name: 'Create deployment' }).getByLabel('Environment').fill('prod');
        await act(page, 'Create deployment', new RegExp(`Deployment #${n}: churn@${n} to prod`));
        await page.getByLabel('Deployment #').fill(String(n));
        await page.getByLabel('To folder (a USB stick)').fill(usb);
        await see(page.getByRole('form', { name: 'Export bundle' }).getByRole('status'), /Carries \d+ of \d+ blob/);
        await act(page, 'Export bundle', /Wrote .*\.airlock/);
      };
      await ship(1);
      for (const a of agents) await waitFor(() => slotOf(a.stateDir).slots[0]?.release?.endsWith('churn-1') && slotOf(a.stateDir).slots[0]?.state === 'idle', 60_000, `${a.stateDir} to serve churn@1`);

      // Reports travel back on the stick; the fleet shows both hosts healthy on churn@1.
      const carry = async () => {
        for (const a of agents) {
          agentCli(a.stateDir, ['report']);
          agentCli(a.stateDir, ['export-reports', '--to', join(usb, 'reports')]);
        }
        await go(page, '/reports');
        await page.getByLabel('Folder with reports').fill(join(usb, 'reports'));
        await act(page, 'Import reports', /\d+ imported/);
      };
      await carry();
      await go(page, '/fleet');
      await see(page.getByRole('table', { name: 'Hosts' }), /host-a.*prod.*healthy.*churn@1.*host-b.*prod.*healthy.*churn@1/s);

      // v2 evaluates well but cannot start: its serving script needs a file nobody shipped.
      await as('bob');
      const v2 = join(dir, 'churn-v2');
      await cp(CHURN, v2, { recursive: true });
      await appendFile(join(v2, 'serve.mjs'), "\nJSON.parse(readFileSync(`${dir}/calibration.json`, 'utf8'));\n");
      await approve(await importVersion(v2, 'churn@2'));
      await as('olga');
      await ship(2);
      for (const a of agents) await waitFor(() => slotOf(a.stateDir).channels.prod === 2, 60_000, `${a.stateDir} to take bundle #2`);
      for (const a of agents) expect(slotOf(a.stateDir).slots[0]?.release).toMatch(/churn-1$/);
      await carry();
      await go(page, '/deployments');
      await see(page.getByRole('table', { name: 'Deployments' }), /host-a\s*rolled back\s*HEALTH_GATE_FAILED.*host-b\s*rolled back\s*HEALTH_GATE_FAILED/s);

      // The hosts' rollbacks open review items; someone resolves them; the registry verifies.
      await as('carol');
      await go(page, '/reviews');
      await see(page.getByRole('table', { name: 'Review items' }), /host rolled back/);
      for (let open = await page.locator('form[aria-label^="Resolve"]').count(); open > 0; open--) {
        const form = page.locator('form[aria-label^="Resolve"]').first();
        await form.getByLabel('Note').fill('v2 needs calibration.json shipped; a v3 will carry it');
        await form.getByRole('button').click();
        await expect.poll(() => page.locator('form[aria-label^="Resolve"]').count(), { timeout: 15_000 }).toBe(open - 1);
      }
      await see(page.locator('main'), /Nothing to review/);
      await go(page, '/audit');
      await page.getByRole('button', { name: 'Verify the registry' }).click();
      await see(page.locator('.verdict'), /Intact/, 60_000);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await c.stop();
      await Promise.all(agents.map((a) => a.stop()));
    }
  }, 300_000);
});
