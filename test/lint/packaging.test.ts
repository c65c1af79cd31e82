import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import type { Configuration } from 'electron-builder';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const quiet = { isEnabled: false, add: () => undefined } as never;
const load = () => getConfig(ROOT, join(ROOT, 'electron-builder.yml'), null);

describe('electron-builder.yml', () => {
  it("passes electron-builder's own configuration validation", async () => {
    await expect(validateConfiguration(await load(), quiet)).resolves.toBeUndefined();
    // The validation is real: a misspelt option is refused.
    await expect(validateConfiguration({ ...(await load()), asarUnpak: ['x'] } as Configuration, quiet)).rejects.toThrow(/asarUnpak/);
  });

  it('packages the built main, preload and renderer, with the agent, its unit and the examples beside them', async () => {
    const config = await load();
    const app = join(ROOT, config.directories!.app!);
    const main = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).main as string;
    for (const built of [main, 'dist/main/registry-utility.js', 'dist/preload/preload.cjs', 'dist/renderer/index.html']) expect([built, existsSync(join(app, built))]).toEqual([built, true]);
    expect(JSON.stringify(config.files)).toContain('"dist/**/*"');
    const resources = (config.extraResources as { from: string; to: string }[]).map((r) => [r.from, r.to, existsSync(join(ROOT, r.from))]);
    expect(resources).toEqual([
      ['agent/dist/airlock-agent.js', 'agent/airlock-agent.js', true],
      ['resources/agent', 'agent', true],
      ['resources/examples', 'examples', true],
    ]);
    expect(existsSync(join(ROOT, 'resources/agent/airlock-agent.service'))).toBe(true);
  });

  it('keeps better-sqlite3 outside the asar, rebuilt for the Electron version installed', async () => {
    const config = await load();
    expect([config.asar, config.asarUnpack, config.npmRebuild]).toEqual([true, ['**/node_modules/better-sqlite3/**'], true]);
    const electron = JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version as string;
    expect(config.electronVersion).toBe(electron);
  });

  it('burns the fuses a security reviewer asks for', async () => {
    expect((await load()).electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('builds an AppImage and a deb, an NSIS installer and a dmg', async () => {
    const config = await load();
    expect([config.linux?.target, config.win?.target, config.mac?.target]).toEqual([['AppImage', 'deb'], ['nsis'], ['dmg']]);
  });
});
