import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

const StateSchema = z.object({
  x: z.int().optional(),
  y: z.int().optional(),
  width: z.int().min(400).max(20_000),
  height: z.int().min(300).max(20_000),
  maximized: z.boolean().default(false),
});
export type WindowState = z.infer<typeof StateSchema>;

export const DEFAULT_STATE: WindowState = { width: 1280, height: 820, maximized: false };

/** Where the window was and how big, from last time; a missing or damaged file gives the defaults. */
export function loadWindowState(userData: string): WindowState {
  try {
    return StateSchema.parse(JSON.parse(readFileSync(join(userData, 'window-state.json'), 'utf8')));
  } catch {
    return DEFAULT_STATE;
  }
}

export function saveWindowState(userData: string, state: WindowState): void {
  try {
    writeFileSync(join(userData, 'window-state.json'), JSON.stringify(state));
  } catch {
    // Losing the window's position is not worth failing a quit over.
  }
}
