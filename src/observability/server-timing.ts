/**
 * Server-Timing: one entry per pipeline step that did work on this request (`authorize;dur=12`,
 * `throttle;dur=0.4`, `cache;desc="HIT";dur=3`, `integrate;desc="http_proxy";dur=45` …) plus `total`. Sent when the
 * stage's `tracing.serverTiming` is on, or to a request carrying the debug token — never to anonymous callers by
 * default, since timings tell an attacker which checks ran.
 *
 * What the numbers mean on Workers: the runtime's clocks (`performance.now()`, `Date.now()`) advance only across
 * I/O — a Spectre mitigation — so a stage's `dur` is the time it spent waiting on I/O (a Durable Object, KV, a JWKS,
 * the backend), and pure CPU work reads as 0. That is the part worth seeing; CPU time is in Workers' own metrics.
 * `integrate` runs until the backend's response headers arrive (the body streams afterwards); `total` is until the
 * gateway's response headers are ready. (workerd outside Cloudflare — `wrangler dev`, tests — has no such clock
 * rule: there the numbers include CPU time.)
 *
 * Timing is off unless asked for: the pipeline runner wraps a stage only when `ctx.timings` is set (stages.ts).
 */
import type { CompiledBundle } from "../deploy/compiled-bundle.ts";
import type { CompiledRoute } from "../deploy/compiled-route.ts";

/**
 * What the header reads of a request's context (the request context has all of it). Declared here rather than
 * imported, since the context holds this module's StageTimings: importing it back would be a cycle
 * (docs/architecture.md#layers).
 */
export interface TimedRequest {
  readonly request: Request;
  bundle: CompiledBundle | undefined;
  route: CompiledRoute | undefined;
  throttleChecks: number;
  cacheStatus: "HIT" | "MISS" | "BYPASS" | undefined;
}

/** Server-Timing metric names, short as the header is: pipeline step name → entry name. */
const ENTRY: Record<string, string> = {
  "resolve-stage": "resolve",
  cors: "cors",
  "match-route": "route",
  "resource-policy": "policy",
  authorize: "authorize",
  "api-key": "apikey",
  validate: "validate",
  throttle: "throttle",
  cache: "cache",
  transform: "transform",
  integrate: "integrate",
};

/**
 * Whether a stage did work on this request, beyond passing it on: it ended the request, or the route (or API)
 * configures it. Read after the request, from what the stages left in the context — not from the time measured,
 * since a stage that only passes a request on still shows time wherever the clock runs with the CPU (locally).
 * A stage missing from this table counts when it took measurable time.
 */
const DID_WORK: Record<string, (ctx: TimedRequest) => boolean> = {
  "resolve-stage": () => true,
  cors: (ctx) => !!ctx.bundle?.bundle.cors && ctx.request.headers.has("origin"),
  "match-route": () => true,
  "resource-policy": (ctx) => !!(ctx.route?.spec.resourcePolicy ?? ctx.bundle?.bundle.resourcePolicy),
  authorize: (ctx) => !!ctx.route?.spec.authorizer,
  "api-key": (ctx) => !!ctx.route?.spec.apiKeyRequired,
  validate: (ctx) => !!ctx.route?.spec.validate,
  throttle: (ctx) => ctx.throttleChecks > 0,
  cache: (ctx) => ctx.cacheStatus !== undefined,
  transform: (ctx) => !!ctx.route?.mapping,
  integrate: () => true,
};

interface Entry {
  name: string;
  stage: string;
  dur: number;
  /** The stage answered itself (did not call next). */
  ended: boolean;
}

export class StageTimings {
  readonly #entries: Entry[] = [];
  /** When the timings began, if after the request did (a stage setting turned them on mid-request). */
  readonly #lateStart: number | undefined;

  constructor(lateFrom?: { stage: string; since: number }) {
    if (lateFrom) {
      // The stage that turned timing on ran before the wrapper could time it: its time from the request's start.
      this.#entries.push({ name: ENTRY[lateFrom.stage] ?? lateFrom.stage, stage: lateFrom.stage, dur: Math.max(0, Date.now() - lateFrom.since), ended: false });
      this.#lateStart = lateFrom.since;
    }
  }

  /** Runs one stage, timing its own work (the time inside `next` is the later stages'). */
  async time(stage: string, run: (next: () => Promise<Response>) => Promise<Response>, next: () => Promise<Response>): Promise<Response> {
    const start = performance.now();
    let inner = 0;
    let called = false;
    const timedNext = async () => {
      called = true;
      const s = performance.now();
      try {
        return await next();
      } finally {
        inner += performance.now() - s;
      }
    };
    try {
      return await run(timedNext);
    } finally {
      const dur = performance.now() - start - inner;
      this.#entries.push({ name: ENTRY[stage] ?? stage, stage, dur, ended: !called });
    }
  }

  /** The Server-Timing value for the stages that did work, in pipeline order, and the total. */
  header(ctx: TimedRequest, totalMs: number): string {
    const parts: string[] = [];
    // Entries are pushed as stages finish (innermost first); the pipeline's order is the reverse.
    for (const e of [...this.#entries].sort((a, b) => order(a.stage) - order(b.stage))) {
      const predicate = DID_WORK[e.stage];
      const did = e.ended || (predicate ? predicate(ctx) : e.dur > 0);
      if (!did) continue;
      parts.push(`${e.name}${describe(e.stage, ctx)};dur=${round(e.dur)}`);
    }
    parts.push(`total;dur=${round(totalMs)}`);
    return parts.join(", ");
  }

  /** Milliseconds per stage (for the explain record and tests). */
  durations(): Record<string, number> {
    return Object.fromEntries(this.#entries.map((e) => [e.name, round(e.dur)]));
  }

  get lateStart(): number | undefined {
    return this.#lateStart;
  }
}

const ORDER = Object.keys(ENTRY);
const order = (stage: string) => {
  const i = ORDER.indexOf(stage);
  return i < 0 ? ORDER.length : i;
};

function describe(stage: string, ctx: TimedRequest): string {
  if (stage === "cache" && ctx.cacheStatus) return `;desc="${ctx.cacheStatus}"`;
  if (stage === "integrate" && ctx.route) return `;desc="${ctx.route.integrationType}"`;
  return "";
}

const round = (ms: number) => Math.round(ms * 10) / 10;
