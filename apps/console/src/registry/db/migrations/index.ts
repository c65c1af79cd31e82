import { m0001 } from './0001-initial.js';
import { m0002 } from './0002-fleet.js';
import { m0003 } from './0003-seals.js';
import { m0004 } from './0004-retraining.js';

/** Numbered migrations, applied in order; PRAGMA user_version records how far a database is. */
export const MIGRATIONS: readonly { version: number; name: string; up: string }[] = [m0001, m0002, m0003, m0004];
