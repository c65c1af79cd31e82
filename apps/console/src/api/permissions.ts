import type { Role } from './enums.js';

/**
 * Every call the registry offers that changes something, and the roles allowed to make it. The
 * registry enforces it; the UI reads it to offer only what the signed-in person may do.
 */
export const PERMISSIONS = {
  'user.add': ['admin'],
  'user.revoke': ['admin'],
  'model.import': ['admin', 'ml-engineer'],
  'model.annotate': ['admin', 'ml-engineer'],
  'version.lifecycle': ['admin', 'ml-engineer'],
  'version.quarantine': ['admin', 'operator', 'approver'],
  'version.revoke': ['admin'],
  'env.create': ['admin'],
  'env.configure': ['admin', 'operator'],
  'eval.record': ['admin', 'ml-engineer'],
  'promote.request': ['admin', 'ml-engineer'],
  'promote.withdraw': ['admin', 'ml-engineer'],
  'promote.decide': ['admin', 'approver'],
  'rollback': ['admin', 'operator'],
  'rollback.authorise': ['admin', 'approver'],
  'review.resolve': ['admin', 'approver', 'operator'],
  /** opening the calendar's review items when they fall due: whoever's call finds them */
  'review.due': ['admin', 'ml-engineer', 'approver', 'operator', 'auditor'],
  'host.enroll': ['admin', 'operator'],
  'host.revoke': ['admin'],
  'host.reset': ['admin'],
  'deploy.create': ['admin', 'operator'],
  'bundle.export': ['admin', 'operator'],
  'reports.import': ['admin', 'operator'],
  'store.gc': ['admin'],
  'root.publish': ['admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof PERMISSIONS;

export const mayPerform = (roles: readonly Role[], permission: Permission): boolean => roles.some((r) => (PERMISSIONS[permission] as readonly Role[]).includes(r));
