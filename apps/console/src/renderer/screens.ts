import type { ComponentType } from 'react';
import { Audit } from './screens/Audit.js';
import { Compare } from './screens/Compare.js';
import { Deployments } from './screens/Deployments.js';
import { Environments } from './screens/Environments.js';
import { Fleet } from './screens/Fleet.js';
import { Import } from './screens/Import.js';
import { Model } from './screens/Model.js';
import { Models } from './screens/Models.js';
import { Promotion, Promotions } from './screens/Promotions.js';
import { Reports } from './screens/Reports.js';
import { Reviews } from './screens/Reviews.js';
import { Users } from './screens/Users.js';
import { Version } from './screens/Version.js';

/** Every screen at its URL; those with a `nav` label are in the left navigation, in this order. */
export const SCREENS: { path: string; nav?: string; component: ComponentType }[] = [
  { path: '/models', nav: 'Models', component: Models },
  { path: '/models/:name', component: Model },
  { path: '/models/:name/:number', component: Version },
  { path: '/compare', component: Compare },
  { path: '/import', nav: 'Import', component: Import },
  { path: '/promotions', nav: 'Promotions', component: Promotions },
  { path: '/promotions/:id', component: Promotion },
  { path: '/environments', nav: 'Environments', component: Environments },
  { path: '/deployments', nav: 'Deployments', component: Deployments },
  { path: '/fleet', nav: 'Fleet', component: Fleet },
  { path: '/reports', nav: 'Reports and hosts', component: Reports },
  { path: '/reviews', nav: 'Review queue', component: Reviews },
  { path: '/audit', nav: 'Audit', component: Audit },
  { path: '/users', nav: 'Users and keys', component: Users },
];
