import type { Locator, Page } from '@playwright/test';
import { expect } from 'vitest';

/** Unlocks a person on the page's unlock form. */
export async function unlock(page: Page, user: string, passphrase: string): Promise<void> {
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Passphrase').fill(passphrase);
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
}

/** Waits until `locator` shows `text`; on failure says what the screen showed instead. */
export async function see(locator: Locator, text: string | RegExp, timeout = 15_000): Promise<void> {
  try {
    await expect.poll(async () => ((await locator.count()) > 0 ? ((await locator.first().textContent()) ?? '') : ''), { timeout }).toMatch(text);
  } catch (err) {
    const screen = await locator.page().locator('main').textContent().catch(() => '');
    throw new Error(`${(err as Error).message}\nThe screen showed: ${screen}`);
  }
}

/**
 * Opens a screen as the app's own links do (the path in the hash, its query in the URL's search,
 * no reload): a reload would end the page's sessions, which live in memory only.
 */
export async function go(page: Page, screen: string): Promise<void> {
  const [path, search] = screen.split('?');
  await page.evaluate(`history.pushState(null, '', '/${search ? `?${search}` : ''}#${path}'); dispatchEvent(new HashChangeEvent('hashchange'));`);
}
