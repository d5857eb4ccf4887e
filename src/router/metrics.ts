/**
 * Routing metrics shared by `eval:router` and tests: cost at a quality floor on the convex hull of
 * operating points (mixing two routers at random is always possible, so the hull is achievable),
 * RouteLLM's APGR and CPT for 2-tier routing.
 */

export interface OperatingPoint {
  cost: number;
  acc: number;
}

/**
 * Least cost reaching `targetAcc` by mixing at most two operating points at random (convex hull).
 * Returns Infinity when no point reaches the target.
 */
export function costAtAccuracy(points: OperatingPoint[], targetAcc: number): number {
  let best = Infinity;
  for (const p of points) if (p.acc >= targetAcc && p.cost < best) best = p.cost;
  for (const lo of points) {
    if (lo.acc >= targetAcc) continue;
    for (const hi of points) {
      if (hi.acc < targetAcc) continue;
      const t = (targetAcc - lo.acc) / (hi.acc - lo.acc);
      const c = lo.cost + t * (hi.cost - lo.cost);
      if (c < best) best = c;
    }
  }
  return best;
}

/** Share of the frontier's cost saved at a floor of `floor` x the frontier's accuracy. */
export function savingAtFloor(points: OperatingPoint[], frontier: OperatingPoint, floor: number): number {
  const c = costAtAccuracy(points, floor * frontier.acc);
  return Number.isFinite(c) ? 1 - c / frontier.cost : 0;
}

/**
 * RouteLLM 2-tier curve: sort prompts by the router's need for the strong model (highest first),
 * send the top k to strong for k = 0..n. Returns performance at each strong-call share.
 */
export function strongCallCurve(
  needStrong: number[],
  weak: number[],
  strong: number[],
): { share: number; perf: number }[] {
  const n = needStrong.length;
  const order = needStrong.map((s, i) => ({ s, i })).sort((a, b) => b.s - a.s || a.i - b.i);
  let perf = weak.reduce((s, v) => s + v, 0);
  const out = [{ share: 0, perf: perf / n }];
  for (let k = 0; k < n; k++) {
    const i = (order[k] as { i: number }).i;
    perf += (strong[i] as number) - (weak[i] as number);
    out.push({ share: (k + 1) / n, perf: perf / n });
  }
  return out;
}

/** APGR: area under PGR = (perf - weak) / (strong - weak) over strong-call share 0..1 (trapezoid). */
export function apgr(curve: { share: number; perf: number }[], weakPerf: number, strongPerf: number): number {
  const gap = strongPerf - weakPerf;
  let area = 0;
  for (let k = 1; k < curve.length; k++) {
    const a = curve[k - 1] as { share: number; perf: number };
    const b = curve[k] as { share: number; perf: number };
    area += ((b.share - a.share) * ((a.perf - weakPerf) / gap + (b.perf - weakPerf) / gap)) / 2;
  }
  return area;
}

/** CPT(x): least strong-call share whose PGR reaches x (e.g. 0.5 or 0.8). */
export function cpt(
  curve: { share: number; perf: number }[],
  weakPerf: number,
  strongPerf: number,
  x: number,
): number {
  const target = weakPerf + x * (strongPerf - weakPerf);
  for (const p of curve) if (p.perf >= target - 1e-12) return p.share;
  return 1;
}

/** Percentile (0..100) of a sample, linear interpolation. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
}
