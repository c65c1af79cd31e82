import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary, INSTALL_HINT } from '../../apps/console/electron-binary.mjs';
import { CLI } from '../helpers/cli.js';

const APP = fileURLToPath(new URL('../../apps/console', import.meta.url));
const PASSPHRASE = 'an electron test passphrase';

test('the desktop app opens its window on app://, unlocks a session and lists models through the bridge', async () => {
  const binary = electronBinary();
  if (!binary) throw new Error(INSTALL_HINT);
  const dir = mkdtempSync(join(tmpdir(), 'airlock-electron-'));
  try {
    const home = join(dir, 'registry');
    const init = spawnSync(process.execPath, [CLI, '--home', home, 'init', '--admin', 'alice'], { env: { ...process.env, AIRLOCK_PASSPHRASE: PASSPHRASE }, encoding: 'utf8' });
    expect(init.status, init.stderr).toBe(0);
    const app = await electron.launch({ executablePath: binary, args: [APP], env: { ...process.env, AIRLOCK_HOME: home, ELECTRON_ENABLE_LOGGING: '1' } });
    try {
      const win = await app.firstWindow();
      expect(win.url()).toBe('app://console/index.html');
      // The page has the bridge and nothing of Node.
      expect(await win.evaluate('typeof require + " " + typeof process')).toBe('undefined undefined');
      expect(await win.evaluate('Object.keys(window.airlock).sort().join(",")')).toBe('call,cancel,choosePath,subscribe');
      await win.getByLabel('User').fill('alice');
      await win.getByLabel('Passphrase').fill(PASSPHRASE);
      await win.getByRole('button', { name: 'Unlock', exact: true }).click();
      await expect(win.getByRole('heading', { name: /Models/ })).toHaveText('Models (0)');
      await expect(win.locator('.acting')).toContainText('Acting as alice');
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
