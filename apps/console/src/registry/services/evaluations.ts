import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { AirlockError, canonicalJson, sha256Hex, utf8Encode } from '@airlock/shared/common';
import { authorize, type SigningActor } from '../auth.js';
import { mutate } from '../audit.js';
import type { Registry } from '../context.js';
import { components } from '../repos/components.js';
import type { EvaluationSource } from '../../api/enums.js';
import { evaluations } from '../repos/evaluations.js';
import type { VersionView } from '../repos/versions.js';
import { manifestOf } from './models.js';
import { refOf, resolveVersion } from './refs.js';

export const ResultsSchema = z.strictObject({
  metrics: z.record(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), z.number().refine(Number.isFinite, 'a metric is a finite number')).refine((m) => Object.keys(m).length > 0, 'at least one metric'),
  dataset: z.strictObject({ name: z.string().min(1), digest: z.string().optional() }).optional(),
  notes: z.string().max(10_000).optional(),
});
export type Results = z.infer<typeof ResultsSchema>;

const SUITE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function parseResults(json: unknown, what: string): Results {
  const parsed = ResultsSchema.safeParse(json);
  if (!parsed.success) throw new AirlockError('INVALID_INPUT', `${what} is not an evaluation result: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Records results for a version and suite, bound to the version's digest, saying where they came from and who recorded them. */
/** The suite as the version declares it; NOT_FOUND naming the declared ones otherwise. */
function declaredSuite(v: VersionView, suite: string) {
  const suites = manifestOf(v).evaluation.suites;
  const spec = suites[suite];
  if (!spec) {
    const known = Object.keys(suites);
    throw new AirlockError('NOT_FOUND', `${refOf(v)} declares no suite "${suite}"${known.length ? `; it declares ${known.join(', ')}` : ': it declares none'}.`);
  }
  return spec;
}

export function recordEvaluation(reg: Registry, actor: SigningActor, ref: string, suite: string, resultsJson: unknown, source: EvaluationSource = 'reported') {
  if (!SUITE.test(suite)) throw new AirlockError('INVALID_INPUT', `"${suite}" is not a suite name: lower-case letters, digits and ._-.`);
  const results = parseResults(resultsJson, 'The results');
  const v = resolveVersion(reg, ref);
  // Results for a suite the version does not declare would satisfy a required-suite gate for nothing.
  declaredSuite(v, suite);
  return mutate(reg, actor, 'eval.record', () => {
    const resultsDigest = `sha256:${sha256Hex(utf8Encode(canonicalJson(results)))}`;
    const id = evaluations.insert(reg.db, {
      version_id: v.id,
      version_digest: v.digest,
      suite,
      metrics: canonicalJson(results.metrics),
      results_digest: resultsDigest,
      source,
      recorded_at: reg.now(),
      recorded_by: actor.user.id,
    });
    return {
      result: { id, version: refOf(v), digest: v.digest, suite, metrics: results.metrics, resultsDigest, source, recordedBy: actor.user.name },
      audit: { action: source === 'executed' ? 'eval.run' : 'eval.record', subject: `version:${refOf(v)}`, details: { suite, metrics: results.metrics, resultsDigest, source } },
    };
  });
}

/**
 * Runs the suite the version declares, in a directory holding the version's files (hard links into the
 * blob store) with MODEL_DIR and MODEL_CONFIG set, and records the metrics its last stdout line prints.
 */
export async function runEvaluation(reg: Registry, actor: SigningActor, ref: string, suite: string, opts: { signal?: AbortSignal } = {}) {
  authorize(actor, 'eval.record');
  const v = resolveVersion(reg, ref);
  const spec = declaredSuite(v, suite);
  const dir = join(reg.home.dir, 'tmp', `${process.pid}-eval-${randomBytes(6).toString('hex')}`);
  try {
    for (const c of components.of(reg.db, v.id)) {
      await mkdir(dirname(join(dir, c.path)), { recursive: true });
      await link(reg.store.pathOf(c.digest), join(dir, c.path));
    }
    const configPath = join(dir, '.airlock-config.json');
    await writeFile(configPath, JSON.stringify(manifestOf(v).config.defaults));
    const stdout = await runCommand(spec.command, spec.args, { cwd: dir, timeoutMs: spec.timeoutMs, env: { MODEL_DIR: dir, MODEL_CONFIG: configPath }, ...(opts.signal ? { signal: opts.signal } : {}) }, `${refOf(v)} suite ${suite}`);
    // Cancelled after the suite ended but before its result was recorded: nothing is recorded.
    opts.signal?.throwIfAborted();
    const last = stdout.trim().split('\n').at(-1) ?? '';
    let json: unknown;
    try {
      json = JSON.parse(last);
    } catch {
      throw new AirlockError('EVAL_FAILED', `Suite ${suite} did not print a JSON result as its last line (got "${last.slice(0, 200)}").`);
    }
    return recordEvaluation(reg, actor, refOf(v), suite, json, 'executed');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What a suite's process sees of the runner's environment: enough to find its interpreter and speak
 * the locale, never the runner's Airlock settings (their home, user, passphrase or the file that holds
 * it), which a version's own code has no business reading.
 */
const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'];

const suiteEnvironment = (extra: Record<string, string>): Record<string, string> => ({
  ...Object.fromEntries(PASSED_THROUGH.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!])),
  ...extra,
});

/** Runs a suite's command; aborting `signal` kills it (and the promise rejects with an AbortError). */
function runCommand(command: string, args: string[], opts: { cwd: string; timeoutMs: number; env: Record<string, string>; signal?: AbortSignal }, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: suiteEnvironment({ HOME: opts.cwd, ...opts.env }), stdio: ['ignore', 'pipe', 'pipe'], ...(opts.signal ? { signal: opts.signal, killSignal: 'SIGKILL' as const } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout = (stdout + d.toString()).slice(-1_000_000)));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err.name === 'AbortError' ? err : new AirlockError('EVAL_FAILED', `Cannot start ${command} for ${what}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (opts.signal?.aborted) reject(opts.signal.reason instanceof Error ? opts.signal.reason : new DOMException('cancelled', 'AbortError'));
      else if (signal === 'SIGKILL') reject(new AirlockError('EVAL_FAILED', `${what} ran past its ${opts.timeoutMs} ms timeout and was stopped.`));
      else if (code !== 0) reject(new AirlockError('EVAL_FAILED', `${what} exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(stdout);
    });
  });
}
