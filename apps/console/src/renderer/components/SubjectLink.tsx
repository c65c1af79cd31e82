import { Link } from 'wouter';

/** Where a subject (as the registry names it in reviews and audit events) is shown in the console. */
export function subjectHref(subject: string): string | null {
  const [kind, rest = ''] = subject.split(/:(.*)/s);
  const at = rest.lastIndexOf('@');
  switch (kind) {
    case 'version':
      return at > 0 ? `/models/${encodeURIComponent(rest.slice(0, at))}/${rest.slice(at + 1)}` : null;
    case 'model':
      return `/models/${encodeURIComponent(rest)}`;
    case 'promotion':
      return /^\d+$/.test(rest) ? `/promotions/${rest}` : null;
    case 'host':
      return '/fleet';
    case 'deployment':
      return '/deployments';
    case 'env':
      return '/environments';
    case 'user':
    case 'root':
      return '/users';
    case 'active': {
      // active:ENV/MODEL@N, a version as it stands in an environment
      const version = rest.slice(rest.indexOf('/') + 1);
      const v = version.lastIndexOf('@');
      return rest.includes('/') && v > 0 ? `/models/${encodeURIComponent(version.slice(0, v))}/${version.slice(v + 1)}` : null;
    }
    default:
      return null;
  }
}

/** A subject, linked to its screen when it has one. */
export function SubjectLink({ subject }: { subject: string }) {
  const href = subjectHref(subject);
  return href ? <Link href={href}>{subject}</Link> : <>{subject}</>;
}
