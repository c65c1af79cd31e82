import type { LlmUsage } from '@airlock/shared/common';

/** Finish reasons OpenAI-style servers give; anything else is counted as "other", so labels stay few. */
export const FINISH_REASONS = ['stop', 'length', 'content_filter', 'tool_calls', 'function_call', 'other'] as const;
type FinishReason = (typeof FINISH_REASONS)[number];

/** Seconds per output token, from a fast local model to a slow large one. */
export const TOKEN_TIME_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** A token count an answer may claim: a whole number no runtime could exceed in one answer, or nothing. */
const MAX_TOKENS_PER_ANSWER = 100_000_000;
const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_TOKENS_PER_ANSWER ? v : undefined);

/** What one version's runtime said about its work: tokens, finish reasons and time per output token. */
export class VersionUsage {
  answers = 0;
  promptTokens = 0;
  completionTokens = 0;
  readonly finish = new Map<FinishReason, number>();
  readonly tokenTime = new Float64Array(TOKEN_TIME_BUCKETS_S.length + 1);
  tokenTimeSum = 0;
  tokenTimeCount = 0;

  record(answer: unknown, seconds: number): void {
    if (answer === null || typeof answer !== 'object') return;
    const a = answer as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown }; finish_reason?: unknown; choices?: { finish_reason?: unknown }[] };
    this.answers++;
    const prompt = count(a.usage?.prompt_tokens);
    const completion = count(a.usage?.completion_tokens);
    if (prompt !== undefined) this.promptTokens += prompt;
    if (completion !== undefined) this.completionTokens += completion;
    const said = a.finish_reason ?? (Array.isArray(a.choices) ? a.choices[0]?.finish_reason : undefined);
    if (typeof said === 'string') {
      const reason: FinishReason = (FINISH_REASONS as readonly string[]).includes(said) ? (said as FinishReason) : 'other';
      this.finish.set(reason, (this.finish.get(reason) ?? 0) + 1);
    }
    if (completion) {
      const perToken = seconds / completion;
      let i = 0;
      while (i < TOKEN_TIME_BUCKETS_S.length && perToken > TOKEN_TIME_BUCKETS_S[i]!) i++;
      this.tokenTime[i]!++;
      this.tokenTimeSum += perToken;
      this.tokenTimeCount++;
    }
  }

  /** Percentile of time per output token in ms: the upper bound of the bucket the rank falls in. */
  percentileMs(p: number): number | null {
    if (this.tokenTimeCount === 0) return null;
    let below = 0;
    for (let i = 0; i < this.tokenTime.length; i++) {
      below += this.tokenTime[i]!;
      if (below >= (p / 100) * this.tokenTimeCount) return (TOKEN_TIME_BUCKETS_S[i] ?? TOKEN_TIME_BUCKETS_S.at(-1)! * 2) * 1000;
    }
    return null;
  }
}

/**
 * A slot's LLM usage, per served version: the proxy hands it the JSON answers of an LLM slot (model kind
 * "llm") with their duration; OpenAI-style `usage` and `finish_reason` fields are counted where present.
 */
export class SlotLlmUsage {
  readonly versions = new Map<string, VersionUsage>();

  record(version: string, body: Buffer, seconds: number): void {
    let answer: unknown;
    try {
      answer = JSON.parse(body.toString('utf8'));
    } catch {
      return;
    }
    let v = this.versions.get(version);
    if (!v) this.versions.set(version, (v = new VersionUsage()));
    v.record(answer, seconds);
  }

  /** For the status report: the served version's figures since the agent started (zeros before its first answer). */
  summary(version: string): LlmUsage {
    const v = this.versions.get(version) ?? new VersionUsage();
    return {
      answers: v.answers,
      promptTokens: v.promptTokens,
      completionTokens: v.completionTokens,
      finishReasons: Object.fromEntries(v.finish),
      timePerOutputTokenMs: { p50: v.percentileMs(50), p95: v.percentileMs(95) },
    };
  }
}
