import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';

/**
 * The agent's configuration: defaults < config file < AIRLOCK_AGENT_* environment. Validated as a whole;
 * every problem is reported at once and the agent exits 2.
 */
const PortSchema = z.int().min(1).max(65535);

/** How a slot's proxy taps traffic for drift: a share of JSON exchanges, counted into windows. */
export const DriftConfigSchema = z.strictObject({
  /** share of requests tapped (0 turns the tap off) */
  sampleRate: z.number().min(0).max(1).default(1),
  /** a window closes after this many tapped requests (fewer than 20 could never be tested)… */
  windowRequests: z.int().min(20).max(10_000_000).default(1000),
  /** …or after this long, whichever comes first (0: count only) */
  windowSeconds: z.int().min(0).default(3600),
  /** closed windows kept for /metrics, status and reports */
  keepWindows: z.int().min(1).max(200).default(24),
  /** bodies larger than this are not tapped (their request still is served) */
  maxBodyBytes: z.int().min(1024).max(16 * 1024 * 1024).default(256 * 1024),
});
export type DriftConfig = z.infer<typeof DriftConfigSchema>;

export const SlotConfigSchema = z.strictObject({
  /** loopback port of the slot's proxy, where clients send requests */
  listen: PortSchema,
  /** answer given when no release is healthy; default a 503 JSON body naming the slot and reason */
  fallback: z.strictObject({ status: z.int().min(100).max(599), contentType: z.string().default('application/json'), body: z.string() }).optional(),
  /** a runtime that sends nothing for this long is answered 504 and counted as an error */
  requestTimeoutMs: z.int().min(100).default(60_000),
  drift: DriftConfigSchema.default(DriftConfigSchema.parse({})),
});

export const ConfigSchema = z.strictObject({
  stateDir: z.string().min(1),
  environment: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/).optional(),
  sources: z
    .strictObject({
      dirs: z.array(z.string().min(1)).default([]),
      /** removable and network media do not deliver change events: poll them */
      pollIntervalMs: z.int().min(100).default(2000),
      mirrors: z.array(z.url()).default([]),
      mirrorIntervalMs: z.int().min(1000).default(60_000),
      /**
       * how long a file from a source that is cut short must stay unchanged before it is refused: a copy
       * that stalls is not reported as a truncated bundle, and is tried again when it changes
       */
      settleMs: z.int().min(0).default(60_000),
    })
    .default({ dirs: [], pollIntervalMs: 2000, mirrors: [], mirrorIntervalMs: 60_000, settleMs: 60_000 }),
  slots: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/), SlotConfigSchema).default({}),
  admin: z.strictObject({ listen: PortSchema.default(9410) }).default({ listen: 9410 }),
  /** hosts in environments that require approvals check the approver threshold themselves */
  requireApprovals: z.boolean().default(false),
  /**
   * the fewest distinct approvers of one promotion this host accepts, whatever quorum the approvals
   * name: set it to the environment's policy so that the registry's database and one approver's key
   * cannot lower it
   */
  minApprovals: z.int().min(1).max(10).optional(),
  keepReleases: z.int().min(2).max(50).default(3),
  /** host-local secret values: a JSON object of NAME → value, readable by the agent only */
  secretsFile: z.string().optional(),
  statusIntervalMs: z.int().min(1000).default(60_000),
  probeIntervalMs: z.int().min(50).default(1000),
  /** minimum requests in probation before the error budget is judged */
  probationMinRequests: z.int().min(1).default(20),
  /** on SIGTERM, how long requests in flight may take to finish before connections are closed */
  drainGraceMs: z.int().min(0).default(10_000),
  /** how far ahead of this host's clock a signed document may be dated; later ones are refused */
  maxClockSkewMs: z.int().min(0).default(24 * 3600 * 1000),
  /** the most bytes quarantine/ holds (the reason and first bytes of each refused file); oldest evicted first */
  quarantineMaxBytes: z.int().min(1024 * 1024).default(256 * 1024 * 1024),
}).refine((c) => c.minApprovals === undefined || c.requireApprovals, { message: 'minApprovals is set but requireApprovals is not: set requireApprovals to true', path: ['minApprovals'] });
export type AgentConfig = z.infer<typeof ConfigSchema>;

/** AIRLOCK_AGENT_* variables and where they land; lists are comma-separated. */
const ENV: [string, (c: Record<string, unknown>, v: string) => void][] = [
  ['AIRLOCK_AGENT_STATE_DIR', (c, v) => (c.stateDir = v)],
  ['AIRLOCK_AGENT_ENVIRONMENT', (c, v) => (c.environment = v)],
  ['AIRLOCK_AGENT_SOURCE_DIRS', (c, v) => (section(c, 'sources').dirs = v.split(',').filter(Boolean))],
  ['AIRLOCK_AGENT_POLL_INTERVAL_MS', (c, v) => (section(c, 'sources').pollIntervalMs = Number(v))],
  ['AIRLOCK_AGENT_MIRRORS', (c, v) => (section(c, 'sources').mirrors = v.split(',').filter(Boolean))],
  ['AIRLOCK_AGENT_ADMIN_PORT', (c, v) => (section(c, 'admin').listen = Number(v))],
  ['AIRLOCK_AGENT_REQUIRE_APPROVALS', (c, v) => (c.requireApprovals = v === 'true' || v === '1')],
  ['AIRLOCK_AGENT_MIN_APPROVALS', (c, v) => (c.minApprovals = Number(v))],
  ['AIRLOCK_AGENT_SECRETS_FILE', (c, v) => (c.secretsFile = v)],
  ['AIRLOCK_AGENT_MAX_CLOCK_SKEW_MS', (c, v) => (c.maxClockSkewMs = Number(v))],
];

function section(c: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = c[key];
  if (typeof existing === 'object' && existing !== null) return existing as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  c[key] = created;
  return created;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`The agent configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export async function loadConfig(opts: { file?: string; overrides?: Record<string, unknown>; env?: NodeJS.ProcessEnv }): Promise<AgentConfig> {
  const env = opts.env ?? process.env;
  let fromFile: Record<string, unknown> = {};
  if (opts.file) {
    let text: string;
    try {
      text = await readFile(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError([`cannot read ${opts.file}: ${(err as Error).message}`]);
    }
    try {
      fromFile = JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`${opts.file} is not valid JSON: ${(err as Error).message}`]);
    }
  }
  const merged: Record<string, unknown> = structuredClone(fromFile);
  for (const [name, apply] of ENV) {
    const v = env[name];
    if (v !== undefined) apply(merged, v);
  }
  Object.assign(merged, opts.overrides ?? {});
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  const cfg = parsed.data;
  cfg.stateDir = resolve(cfg.stateDir);
  cfg.sources.dirs = cfg.sources.dirs.map((d) => resolve(d));
  const ports = [cfg.admin.listen, ...Object.values(cfg.slots).map((s) => s.listen)];
  const dup = ports.find((p, i) => ports.indexOf(p) !== i);
  if (dup !== undefined) throw new ConfigError([`port ${dup} is used twice (admin and slot ports must differ)`]);
  return cfg;
}
