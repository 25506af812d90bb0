/**
 * Shadow evaluation of a candidate version, for a request sampled by resolve-stage (the stage's shadow percent):
 * after the live response is made, in `ctx.waitUntil`, so it never delays the client. The candidate bundle is
 * loaded once per app (KV, else the Registry's copy; kept compiled by id in the app's ShadowState, state.ts); at most
 * MAX_IN_FLIGHT evaluations run at once per app — beyond that a sampled request is counted as skipped, so a traffic
 * spike cannot pile them up.
 */
import { loadBundle } from "../../deploy/bundle-store.ts";
import { CompiledBundle } from "../../deploy/compiled-bundle.ts";
import { prepareExecutors } from "../../steps/executors.ts";
import type { GatewayContext } from "../../pipeline/step.ts";
import type { DecisionRecord } from "../explain.ts";
import { compare, sampleOf } from "./compare.ts";
import { candidateView, liveView } from "./evaluate.ts";

const MAX_IN_FLIGHT = 4;
/** A candidate that failed to load is not tried again for this long. */
const RETRY_LOAD_MS = 10_000;
const EVALUATION_BOUND_MS = 5000;

export function scheduleShadow(ctx: GatewayContext, record: DecisionRecord): void {
  const candidate = ctx.shadowCandidate!;
  const shadow = ctx.state.shadow;
  if (shadow.inFlight >= MAX_IN_FLIGHT) {
    shadow.buffer.add(ctx.api, ctx.stage, candidate, { notEvaluated: true, skipped: ["isolate busy: evaluation skipped"] });
    return;
  }
  shadow.inFlight++;
  ctx.exec.waitUntil(
    evaluate(ctx, record, candidate)
      .catch((err: unknown) => {
        console.error(JSON.stringify({ level: "warn", event: "shadow-evaluation-failed", requestId: ctx.requestId, api: ctx.api, stage: ctx.stage, reason: (err as Error).message }));
      })
      .finally(() => shadow.inFlight--),
  );
}

async function evaluate(ctx: GatewayContext, record: DecisionRecord, id: string): Promise<void> {
  const shadowBuffer = ctx.state.shadow.buffer;
  const bundle = await candidateBundle(ctx, id);
  if (!bundle) {
    shadowBuffer.add(ctx.api, ctx.stage, id, { notEvaluated: true, skipped: ["candidate version could not be loaded"] });
    return;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), EVALUATION_BOUND_MS);
  });
  const result = await Promise.race([candidateView(ctx, record, bundle), bound]).finally(() => timer !== undefined && clearTimeout(timer));
  if (!result) {
    shadowBuffer.add(ctx.api, ctx.stage, id, { notEvaluated: true, skipped: [`evaluation took over ${EVALUATION_BOUND_MS} ms`] });
    return;
  }
  const comparison = compare(liveView(ctx, record), result.view);
  const diffs = comparison.differences;
  shadowBuffer.add(ctx.api, ctx.stage, id, { comparison, skipped: result.skipped, ...(diffs.length ? { sample: sampleOf(ctx, diffs) } : {}) });
}

async function candidateBundle(ctx: GatewayContext, id: string): Promise<CompiledBundle | undefined> {
  const shadow = ctx.state.shadow;
  const known = shadow.candidate(id);
  if (known) return known;
  const unloadable = shadow.unloadable;
  if ((unloadable.get(id) ?? 0) > Date.now()) return undefined;
  const loaded = await loadBundle(ctx.env, ctx.api, id)
    .then((read) => {
      if (!read.ok) return read;
      // Built up front, as the config source does: a candidate whose executors cannot be built is unloadable.
      const compiled = CompiledBundle.of(id, read.bundle);
      prepareExecutors(compiled);
      return { ok: true as const, compiled };
    })
    .catch((err: unknown) => ({ ok: false as const, reason: (err as Error).message }));
  if (!loaded.ok) {
    if (unloadable.size > 100) unloadable.clear();
    unloadable.set(id, Date.now() + RETRY_LOAD_MS);
    console.error(JSON.stringify({ level: "warn", event: "shadow-candidate-unavailable", api: ctx.api, id, reason: loaded.reason }));
    return undefined;
  }
  return shadow.keep(loaded.compiled);
}
