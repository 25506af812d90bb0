/**
 * Resolve stage: which API, stage and bundle version serve this request. A custom-domain mapping (host, then an
 * optional base path) wins; otherwise the first path segment names a stage of the Worker's default API, as on
 * execute-api (`/prod/pets/1`). Unknown stage → 403 Forbidden on a REST API, 404 Not Found on an HTTP API, as on
 * Amazon. No version that can be served safely (a configuration-store fault in an isolate that knows none) → 503,
 * counted under the version `unavailable`.
 *
 * This is also where the request's path is normalised, once (`routing/path.ts`), and where a declared body
 * size over the API's limit is refused before a byte of it is read.
 */
import { ConfigUnavailableError, UNAVAILABLE_VERSION, type DomainTarget, type StageResolution } from "../../deploy/config-source.ts";
import { GatewayError } from "../../pipeline/gateway-responses.ts";
import type { StepFactory } from "../../pipeline/step.ts";
import { normalizePath } from "../../routing/path.ts";
import { routeByRules } from "../../routing/routing-rules.ts";
import { describeAssignment } from "../../deploy/canary.ts";
import { DecisionRecord } from "../../observability/explain.ts";
import { StageTimings } from "../../observability/server-timing.ts";
import type { RequestContext } from "../../pipeline/context.ts";

export const resolveStage: StepFactory = ({ source }) =>
  async function resolveStage(ctx, next) {
    const path = normalizePath(ctx.url.pathname);
    if (!path.ok) throw new GatewayError("INVALID_PATH", { detail: `${path.reason}: ${ctx.url.pathname}` });
    let segments = path.segments;

    let api: string;
    let stage: string | undefined;
    let resolution: StageResolution | undefined;
    try {
      const host = ctx.url.hostname.toLowerCase();
      // Amazon's routing rules for the host come first, in the modes that use them (routing/routing-rules.ts).
      const routed = source.domainRouting?.(host);
      // Awaited only when it is a promise (a memo refresh): the common case costs no microtask.
      const routing = routed instanceof Promise ? await routed : routed;
      const ruled = routing ? routeByRules(routing, { header: (name) => ctx.request.headers.get(name), segments }) : undefined;
      const found = ruled || routing?.mode === "ROUTING_RULE_ONLY" ? [] : source.domainTargets(host);
      const targets = found instanceof Promise ? await found : found;
      if (ruled) {
        api = ruled.api;
        stage = ruled.stage;
        segments = segments.slice(ruled.consumed);
      } else if (routing?.mode === "ROUTING_RULE_ONLY") {
        throw new GatewayError("STAGE_NOT_FOUND", { detail: `no routing rule matched on ${ctx.url.hostname}` });
      } else if (targets.length) {
        const target = pickDomainTarget(targets, segments[0]);
        if (!target) throw new GatewayError("STAGE_NOT_FOUND", { detail: `no base path mapping on ${ctx.url.hostname}` });
        api = target.api;
        stage = target.stage;
        ctx.basePathMatched = target.basePath;
        if (target.basePath) segments = segments.slice(1);
      } else {
        api = source.defaultApi();
        stage = segments[0];
        segments = segments.slice(1);
      }
      const resolving = stage === undefined ? undefined : source.resolveStage(api, stage, { request: ctx.request, clientIp: ctx.clientIp });
      // Awaited only when it is a promise: a memo hit answers synchronously and costs no microtask.
      resolution = resolving instanceof Promise ? await resolving : resolving;
    } catch (err) {
      if (err instanceof ConfigUnavailableError && err.api && err.stage) {
        // Counted in the stage's metrics (respond records it) under a version of its own.
        ctx.api = err.api;
        ctx.stage = err.stage;
        ctx.deploymentId = UNAVAILABLE_VERSION;
      }
      throw err;
    }
    if (!resolution || stage === undefined) {
      // An HTTP API answers an unknown stage as any unknown route: 404 Not Found (a REST API: 403 Forbidden).
      const type = source.flavorOf?.(api) === "http" ? "RESOURCE_NOT_FOUND" : "STAGE_NOT_FOUND";
      throw new GatewayError(type, { detail: `no stage ${api}/${stage ?? ""}` });
    }

    ctx.api = api;
    ctx.stage = stage;
    ctx.bundle = resolution.bundle;
    ctx.deploymentId = resolution.bundle.id;
    ctx.isCanary = resolution.isCanary;
    ctx.cacheNamespace = resolution.cacheNamespace;
    ctx.cacheGeneration = resolution.cacheGeneration;
    ctx.stageVariables = resolution.variables;
    ctx.segments = segments;
    ctx.trailingSlash = path.trailingSlash;
    observeResolution(ctx, resolution);

    const declared = ctx.request.headers.get("content-length");
    if (declared !== null && Number(declared) > ctx.maxBodyBytes)
      throw new GatewayError("REQUEST_TOO_LARGE", { detail: `declared body of ${declared} bytes` });
    return next();
  };

/** A mapping whose base path is the first segment, else the host's whole-host mapping. */
function pickDomainTarget(targets: DomainTarget[], first: string | undefined): DomainTarget | undefined {
  return targets.find((t) => t.basePath !== "" && t.basePath === first) ?? targets.find((t) => t.basePath === "");
}

/**
 * What observability learns here: Server-Timing when the stage turns it on for everyone, the explain record's
 * stage decision, and whether this request is sampled for the stage's shadow evaluation (which then records the
 * live decisions to compare).
 */
function observeResolution(ctx: RequestContext, resolution: StageResolution): void {
  if (!ctx.timings && resolution.bundle.bundle.stages[ctx.stage]?.tracing.serverTiming)
    ctx.timings = new StageTimings({ stage: "resolve-stage", since: ctx.receivedAt });
  const shadow = resolution.shadow;
  if (shadow && shadow.deploymentId !== ctx.deploymentId && Math.random() * 100 < shadow.percent) {
    ctx.shadowCandidate = shadow.deploymentId;
    ctx.explain ??= new DecisionRecord(ctx.requestId);
  }
  if (ctx.explain) {
    const a = resolution.assignment ?? {};
    ctx.explain.stage = {
      api: ctx.api,
      stage: ctx.stage,
      version: ctx.deploymentId,
      role: ctx.isCanary ? "canary" : "stable",
      reason: describeAssignment(a),
      ...(a.bucket !== undefined ? { bucket: a.bucket } : {}),
    };
  }
}
