/**
 * One app's shadow evaluation (its AppState, src/pipeline/app-state.ts): the results not yet sent, the evaluations
 * running now, the candidate versions it compiled and those that would not load. Per app like the metrics buffer:
 * what one app's traffic evaluated is not another's to report, one app's busy evaluations do not make another's
 * sampled requests skip, and a candidate is compiled by the app that evaluates it (compiled bundles are never shared
 * between apps: deploy/compiled-bundle.ts).
 */
import type { CompiledBundle } from "../../deploy/compiled-bundle.ts";
import { ShadowBuffer } from "./buffer.ts";

/** Candidate versions kept compiled per app; a stage has one candidate at a time, so a few cover every stage's. */
const MAX_CANDIDATES = 8;

export class ShadowState {
  /** Results batched for each API's Registry (buffer.ts). */
  readonly buffer = new ShadowBuffer();
  /** Evaluations running now (schedule.ts bounds them). */
  inFlight = 0;
  readonly #candidates = new Map<string, CompiledBundle>();
  /** Candidates that failed to load, by id: until when they are not tried again. */
  readonly unloadable = new Map<string, number>();

  /** A candidate version this app has compiled already. */
  candidate(id: string): CompiledBundle | undefined {
    return this.#candidates.get(id);
  }

  /** Keeps a compiled candidate, the oldest dropped past MAX_CANDIDATES. */
  keep(compiled: CompiledBundle): CompiledBundle {
    if (!this.#candidates.has(compiled.id) && this.#candidates.size >= MAX_CANDIDATES) this.#candidates.delete(this.#candidates.keys().next().value!);
    this.#candidates.set(compiled.id, compiled);
    return compiled;
  }
}
