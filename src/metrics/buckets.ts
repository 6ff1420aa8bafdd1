// Histogram buckets, seconds, fitted to the values each histogram sees (docs/metrics-and-health.md).

/** Firing lateness: a healthy daemon fires within 0.5-10 ms; a taken-over lease, ~5 s. */
export const LATENESS_BUCKETS_SEC = [
  0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60,
] as const;

/** Run duration: URL calls in ms, shell commands up to hours. */
export const DURATION_BUCKETS_SEC = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
] as const;

/** One claim: a round trip and a Lua script, well under a millisecond to a few. */
export const CLAIM_BUCKETS_SEC = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
] as const;
