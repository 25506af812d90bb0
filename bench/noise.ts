/**
 * (d) The noise floor, and verdicts that respect it. Every run that measures pairs first measures an A/A pair —
 * one target as both sides, in the same interleaved slices as every pair (scenarios.ts NOISE_SCENARIO). Its sides
 * do the same work, so whatever separates them is noise: the floor is the larger of how far the A/A ratio is from
 * 1 and half the spread of its slice-by-slice ratios. A target is then
 *
 * - **met** when the ratio beats it by more than the floor (ratio ÷ target − 1 > floor),
 * - **missed** when it falls short by more than the floor,
 * - **within noise** otherwise: this run cannot tell.
 */
import type { PairResult, Verdict } from "./harness.ts";

export interface NoiseFloor {
  /** The A/A pair's req/s ratio (1 with no noise). */
  ratio: number;
  sliceRatios: number[];
  /** Relative: 0.03 means ±3%. */
  floor: number;
  /** The A/A pair's CPU per request ratio, and its distance from 1 (null where CPU cannot be read). */
  cpuRatio: number | null;
  cpuFloor: number | null;
}

export function noiseFloor(aa: PairResult): NoiseFloor {
  const spread = aa.sliceRatios.length ? (Math.max(...aa.sliceRatios) - Math.min(...aa.sliceRatios)) / 2 : 0;
  return {
    ratio: aa.ratio,
    sliceRatios: aa.sliceRatios,
    floor: Math.max(Math.abs(aa.ratio - 1), spread),
    cpuRatio: aa.cpuRatio,
    cpuFloor: aa.cpuRatio === null ? null : Math.abs(aa.cpuRatio - 1),
  };
}

/** A ratio against its target (a lowest acceptable ratio), given the run's noise floor (null: no A/A measured). */
export function verdictOf(ratio: number, target: number, floor: number | null): Verdict {
  const margin = ratio / target - 1;
  if (floor === null) return margin >= 0 ? "met" : "missed";
  if (margin > floor) return "met";
  if (margin < -floor) return "missed";
  return "within noise";
}
