import { showDrift } from '../../registry/services/drift.js';
import { listRetraining } from '../../registry/services/reviews.js';
import type { Handlers } from '../handler.js';

export const driftHandlers: Handlers<'drift.show' | 'retraining.list'> = {
  'drift.show': ({ reg, actor }, input) => showDrift(reg, actor, input),
  'retraining.list': ({ reg, actor }, { model }) => listRetraining(reg, actor, model),
};
