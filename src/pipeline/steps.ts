/**
 * THE request pipeline, in Amazon's order. Read top to bottom for the request's way in; each step's response
 * work runs on the way back out, bottom to top. A step ends a request by throwing a GatewayError: the stages
 * below it never run and the backend is never called. `respond` is first because it is the outermost layer:
 * it renders whatever the others throw. `cors` comes before `match-route` (Amazon lists it after): a preflight
 * needs no route, and routing errors then carry CORS headers too, so browsers can read them.
 *
 * A place marked `null` would be named and empty: a feature that fills it plugs in there, in this order.
 *
 * | step            | can answer                                                                     |
 * | --------------- | ------------------------------------------------------------------------------ |
 * | respond         | renders gateway responses; adds request id and CORS headers                    |
 * | resolve-stage   | 400 invalid path, 403 Forbidden (unknown stage), 413 declared body too large,  |
 * |                 | 503 when no version can be served safely (configuration store down)            |
 * | cors            | 204 to a CORS preflight (whatever routes exist, as HTTP APIs do)              |
 * | match-route     | 403 Missing Authentication Token (rest) / 404 Not Found (http)                 |
 * | resource-policy | 403 (IP/CIDR, country, ASN allow/deny)                                         |
 * | authorize       | 401 / 403 (JWT, custom, SigV4, mTLS)                                           |
 * | api-key         | 403 (missing/invalid key, usage plan); 429 (unseen key values over budget)     |
 * | validate        | 400 parameters / body, 413, 415                                                |
 * | throttle        | 429 (token buckets, quotas)                                                    |
 * | cache           | a cached response (lookup on the way in, store on the way out); 403 to an       |
 * |                 | unauthorized max-age=0 (FAIL_WITH_403); 500 when its encryption secret is unset |
 * | transform       | mapped request and response (templates, integration responses, parameters);    |
 * |                 | 415 body no template takes (passthroughBehavior), 500 mapping that fails       |
 * | integrate       | the backend's response; 413 (streamed body over the limit), 500, 502, 504       |
 */
import { apiKey } from "../steps/api-key/index.ts";
import { authorize } from "../steps/authorize/index.ts";
import { cors } from "../steps/cors/index.ts";
import { integrate } from "../steps/integrate/index.ts";
import { matchRoute } from "../steps/match-route/index.ts";
import { resolveStage } from "../steps/resolve-stage/index.ts";
import { resourcePolicy } from "../steps/resource-policy/index.ts";
import { throttle } from "../steps/throttle/index.ts";
import { cache } from "../steps/cache/index.ts";
import { respond } from "../steps/respond/index.ts";
import { transform } from "../steps/transform/index.ts";
import { validate } from "../steps/validate/index.ts";
import type { GatewayContext, PipelineDeps, StepFactory, StepHandler } from "./step.ts";

export interface PipelineStep {
  name: string;
  factory: StepFactory | null;
}

export const PIPELINE: readonly PipelineStep[] = [
  { name: "respond", factory: respond },
  { name: "resolve-stage", factory: resolveStage },
  { name: "cors", factory: cors },
  { name: "match-route", factory: matchRoute },
  { name: "resource-policy", factory: resourcePolicy },
  { name: "authorize", factory: authorize },
  { name: "api-key", factory: apiKey },
  { name: "validate", factory: validate },
  { name: "throttle", factory: throttle },
  { name: "cache", factory: cache },
  { name: "transform", factory: transform },
  { name: "integrate", factory: integrate },
];

/**
 * Builds the pipeline once: each step's factory runs with the dependencies, empty places are skipped. A request
 * with Server-Timing on (`ctx.timings`: the stage's setting or the debug token) has each step after `respond`
 * timed (observability/server-timing.ts); any other pays one property read per step.
 */
export function buildPipeline(deps: PipelineDeps, steps: readonly PipelineStep[] = PIPELINE): (ctx: GatewayContext) => Promise<Response> {
  const present = steps.filter((s) => s.factory);
  const handlers: StepHandler[] = present.map((s) => s.factory!(deps));
  const names = present.map((s) => s.name);
  const run = (i: number, ctx: GatewayContext): Promise<Response> => {
    const handler = handlers[i];
    if (!handler) throw new Error("the pipeline ended without a response: the last step must not call next()");
    const next = () => run(i + 1, ctx);
    const timings = ctx.timings;
    return timings === undefined || i === 0 ? handler(ctx, next) : timings.time(names[i]!, (timed) => handler(ctx, timed), next);
  };
  return (ctx) => run(0, ctx);
}
