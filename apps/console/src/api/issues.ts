import type { z } from 'zod';

/**
 * A schema's refusal as sentences a person acts on: each problem with the field it is about, e.g.
 * "roles: Too small: expected array to have >=1 items."; never zod's own layout.
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      const at = i.path.length ? `${i.path.join('.')}: ` : '';
      return `${at}${i.message}${/[.!?]$/.test(i.message) ? '' : '.'}`;
    })
    .concat(error.issues.length > 5 ? [`and ${error.issues.length - 5} more.`] : [])
    .join(' ');
}
