import { checkOverlay, createEnvironment, listEnvironments, setOverlay, setPolicy, setSecrets, showEnvironment } from '../../registry/services/environments.js';
import type { Handlers } from '../handler.js';
import { activeView } from './models.js';

export const environmentHandlers: Handlers<'environments.list' | 'environments.show' | 'environments.create' | 'environments.setPolicy' | 'environments.setSecrets' | 'environments.checkOverlay' | 'environments.setOverlay'> = {
  'environments.list': ({ reg, actor }) => listEnvironments(reg, actor),
  'environments.show': ({ reg, actor }, { name }) => {
    const e = showEnvironment(reg, actor, name);
    return { ...e, active: e.active.map(activeView) };
  },
  'environments.create': ({ reg, actor }, input) => createEnvironment(reg, actor, input),
  'environments.setPolicy': ({ reg, actor }, { name, policy }) => setPolicy(reg, actor, name, policy),
  'environments.setSecrets': ({ reg, actor }, { name, secrets }) => setSecrets(reg, actor, name, secrets),
  'environments.checkOverlay': ({ reg, actor }, { environment, model, config }) => checkOverlay(reg, actor, environment, model, config),
  'environments.setOverlay': ({ reg, actor }, { environment, model, config }) => setOverlay(reg, actor, environment, model, config),
};
