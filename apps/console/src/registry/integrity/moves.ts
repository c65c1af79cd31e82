import type { RowSeal } from '../db/seals.js';
import type { SealedTable } from '../db/tables.js';
import { VERSION_TRANSITIONS } from '../lifecycle.js';
import type { VersionState } from '../../api/enums.js';

/**
 * The state moves each action makes, for the rows whose state decides what may ship: a version's
 * lifecycle state, a promotion's state, where an evaluation came from and a channel's sequence. `verify` holds every sealed
 * change to these, so that a
 * stolen key cannot sign a revoked version back to validated, or a voided promotion to active, under
 * an action that may write the column but never makes that move.
 */
const PROMOTION_MOVES: Readonly<Record<string, readonly string[]>> = {
  'promote.request': ['active>superseded'],
  'promote.approve': ['awaiting_approval>approved', 'awaiting_approval>active', 'approved>active', 'awaiting_approval>expired', 'active>superseded'],
  'promote.reject': ['awaiting_approval>rejected'],
  'promote.expire': ['awaiting_approval>expired'],
  'promote.withdraw': ['awaiting_approval>withdrawn', 'approved>withdrawn'],
  'promote.rollback': ['active>rolled_back'],
};

/** How promotions begin: a request, resolved by its gates at once; or a break-glass rollback, active at once. */
const PROMOTION_STARTS: Readonly<Record<string, { states: readonly string[]; breakGlass: number }>> = {
  'promote.request': { states: ['gates_failed', 'awaiting_approval', 'active'], breakGlass: 0 },
  'promote.rollback': { states: ['active'], breakGlass: 1 },
};

/** What is wrong with `action` taking this row from `before` to `after` (null: a row created or removed), if anything. */
export function moveProblem(action: string, table: SealedTable, before: RowSeal | null, after: RowSeal | null): string | null {
  if (action === 'registry.adopt' || !after) return null;
  if (table === 'version_status') {
    if (!before) return action === 'model.import' && after.state === 'registered' ? null : `starts a version as ${String(after.state)}, which only an import (as registered) does.`;
    if (before.state !== after.state) {
      const from = before.state as VersionState;
      const to = after.state as VersionState;
      if (!VERSION_TRANSITIONS[from]?.includes(to)) return `moves a version from ${from} to ${to}, which the lifecycle never allows.`;
      if (action !== `version.${to}`) return `moves a version to ${to} under ${action}.`;
    }
    if (before.flag !== after.flag && action !== 'version.revoked') return `changes a version's flag under ${action}; only a revocation flags its dependents.`;
    return null;
  }
  if (table === 'promotions') {
    if (!before) {
      const start = PROMOTION_STARTS[action];
      if (!start) return `creates a promotion under ${action}.`;
      if (!start.states.includes(String(after.state)) || after.break_glass !== start.breakGlass) return `creates a ${after.break_glass ? 'break-glass ' : ''}promotion in state ${String(after.state)}, which ${action} never does.`;
      return null;
    }
    if (before.state === after.state) return null;
    const move = `${String(before.state)}>${String(after.state)}`;
    return PROMOTION_MOVES[action]?.includes(move) ? null : `moves a promotion from ${String(before.state)} to ${String(after.state)} under ${action}, which never makes that move.`;
  }
  if (table === 'channels') {
    // A channel's sequence only ever takes its next number: a host refuses anything not newer than what it took.
    const next = before ? Number(before.sequence) + 1 : 1;
    return after.sequence === next ? null : `sets channel ${String(after.name)} to sequence ${String(after.sequence)}, not its next (${next}).`;
  }
  if (table === 'evaluations' && !before) {
    // Results the registry ran itself are recorded by eval.run; everything else is reported.
    const source = action === 'eval.run' ? 'executed' : 'reported';
    return after.source === source ? null : `records ${String(after.source)} results under ${action}, which records ${source} ones.`;
  }
  return null;
}
