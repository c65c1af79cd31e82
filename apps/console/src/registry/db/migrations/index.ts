import { m0001 } from './0001-initial.js';
import { m0002 } from './0002-fleet.js';

/** Numbered migrations, applied in order; PRAGMA user_version records how far a database is. */
export const MIGRATIONS: readonly { version: number; name: string; up: string }[] = [m0001, m0002];
