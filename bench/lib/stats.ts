// Small numeric helpers for the benchmarks.

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  early: number;
  count: number;
}

/** Lateness figures of arrival - due, in ms. */
export function latency(lateMs: readonly number[]): Latency {
  const s = [...lateMs].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    p50: r(percentile(s, 0.5)),
    p90: r(percentile(s, 0.9)),
    p99: r(percentile(s, 0.99)),
    max: r(s.at(-1) ?? Number.NaN),
    early: s.filter((x) => x < 0).length,
    count: s.length,
  };
}

/** The median, field by field, of several runs' figures. */
export function medianOf<T extends Record<string, number>>(runs: readonly T[]): T {
  const out: Record<string, number> = {};
  for (const key of Object.keys(runs[0] ?? {})) out[key] = median(runs.map((r) => r[key] as number));
  return out as T;
}

/** The median, field by field, of several runs' lateness figures. */
export const medianLatency = (runs: readonly Latency[]): Latency => medianOf(runs.map((r) => ({ ...r })));
