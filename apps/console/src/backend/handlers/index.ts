import type { CallName } from '../../api/contract.js';
import type { Handlers } from '../handler.js';
import { driftHandlers } from './drift.js';
import { environmentHandlers } from './environments.js';
import { fleetHandlers } from './fleet.js';
import { modelHandlers } from './models.js';
import { oversightHandlers } from './oversight.js';
import { promotionHandlers } from './promotions.js';
import { sessionHandlers } from './session.js';

/**
 * One handler per call of the contract (the type makes a missing one a compile error); `session.unlock`
 * is the dispatcher's own, and `registry.init` the registry process's while there is no registry.
 */
export const HANDLERS: Handlers<Exclude<CallName, 'session.unlock' | 'registry.init'>> = {
  ...sessionHandlers,
  ...modelHandlers,
  ...environmentHandlers,
  ...promotionHandlers,
  ...fleetHandlers,
  ...oversightHandlers,
  ...driftHandlers,
};
