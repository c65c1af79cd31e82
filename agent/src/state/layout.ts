import { join } from 'node:path';

/** Everything the agent keeps, under one state directory (DESIGN §6). */
export function stateLayout(dir: string) {
  return {
    dir,
    hostKey: join(dir, 'host.key'),
    identity: join(dir, 'identity.json'),
    roots: join(dir, 'roots'),
    counters: join(dir, 'counters.json'),
    store: join(dir, 'store'),
    staging: join(dir, 'staging'),
    slots: join(dir, 'slots'),
    slot: (name: string) => {
      const base = join(dir, 'slots', name);
      return { base, releases: join(base, 'releases'), release: (id: string) => join(base, 'releases', id), current: join(base, 'current'), journal: join(base, 'journal.json') };
    },
    outbox: join(dir, 'outbox'),
    exported: join(dir, 'exported.json'),
    quarantine: join(dir, 'quarantine'),
    seen: join(dir, 'seen.json'),
    audit: join(dir, 'audit.jsonl'),
    socket: join(dir, 'agent.sock'),
    /** process-group records of running runtimes, reclaimed after a crash */
    run: join(dir, 'run'),
  };
}
export type StateLayout = ReturnType<typeof stateLayout>;
