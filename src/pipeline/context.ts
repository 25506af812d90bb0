/**
 * The request context: everything the pipeline's stages learn about one request, in the order they learn it.
 * Stages read and fill it; none of it outlives the request.
 */
import type { Identity } from "../wire/identity.ts";
import type { AppState } from "./app-state.ts";
import type { CompiledBundle } from "../deploy/compiled-bundle.ts";
import type { CompiledRoute } from "../deploy/compiled-route.ts";
import type { DecisionRecord } from "../observability/explain.ts";
import type { StageTimings } from "../observability/server-timing.ts";
import type { TraceContext } from "../observability/trace.ts";
import type { IntegrationRequest } from "./integration-request.ts";
import { readAtMost } from "../util/read-bounded.ts";
import { GatewayError } from "./gateway-responses.ts";

/**
 * What a request's code needs of the environment: bindings, secrets and vars by name (integrations look bindings up
 * as the bundle names them). The Worker's pipeline runs with its whole `Env` (src/env.ts), a WebSocket hub with its
 * own (durable-objects/connection-hub/env.ts): the context is generic in it, so it imports neither.
 */
export interface RequestEnv {
  [binding: string]: unknown;
}

export class RequestContext<E extends RequestEnv = RequestEnv> {
  readonly request: Request;
  readonly env: E;
  readonly exec: ExecutionContext;
  /** The app's state (app-state.ts): what it remembers across requests, shared by its requests only. */
  readonly state: AppState;
  readonly requestId: string = crypto.randomUUID();
  readonly receivedAt: number = Date.now();
  readonly url: URL;
  /** Cloudflare sets CF-Connecting-IP; a client-supplied X-Forwarded-For is never trusted. */
  readonly clientIp: string;

  // Filled by resolve-stage.
  api = "";
  stage = "";
  deploymentId = "";
  isCanary = false;
  /** The cache namespace (the stable version's id, or a canary's own) and the stage's flush generation. */
  cacheNamespace = "";
  cacheGeneration = 0;
  /** HIT, MISS or BYPASS when the cache step handled the request (for metrics). */
  cacheStatus: "HIT" | "MISS" | "BYPASS" | undefined;
  bundle: CompiledBundle | undefined;
  stageVariables: Record<string, string> = {};
  /** Normalised path segments after the stage (or the custom domain's base path), never decoded. */
  segments: string[] = [];
  trailingSlash = false;

  // Filled by match-route.
  route: CompiledRoute | undefined;
  pathParams: Record<string, string> = {};

  // Filled by authorize and api-key.
  identity: Identity | undefined;
  /** The API key's id (never its value) once the api-key step accepted it. */
  apiKeyId: string | undefined;
  /** The key's usage plan in this API that covers this stage, if any (its throttle and quota apply). */
  usagePlan: string | undefined;
  /** Headers integrations set on the backend request (null: remove what the client sent under that name). */
  readonly backendHeaders: [string, string | null][] = [];

  // Filled by transform (routes with a mapping) and by the integration.
  /** The mapped request the integration sends (Amazon's integration request). */
  integrationRequest: IntegrationRequest | undefined;
  /** A Lambda-style handler's errorMessage when it threw (Lambda custom integrations); null when it returned. */
  integrationErrorMessage: string | null = null;
  /** The integration response's body when the integration has it as bytes (a mock's): read without a stream. */
  integrationPayload: Uint8Array | undefined;

  /** Headers every response gets on the way out, gateway errors included (CORS, for one). */
  readonly responseHeaders: [string, string][] = [];
  /** Throttle and quota decisions made without their Durable Object (failed open or closed): counted in metrics. */
  degradedDecisions = 0;
  /** Refusals because a dependency could not be trusted (JWKS keys past their maximum age): counted in metrics. */
  failedClosed = 0;
  /** Milliseconds spent waiting for the integration's response headers. */
  integrationLatencyMs: number | undefined;

  // Observability (docs/observability.md): facts the access log, the metrics record, Server-Timing and the
  // explain record read on the way out. Plain fields, mostly left undefined: filling them costs nothing measurable.
  /** The trace, once something needed it (observability/request-trace.ts); null when the stage does not trace. */
  trace: TraceContext | null | undefined;
  /** Per-stage timings, when this request gets Server-Timing (stage setting or debug token). */
  timings: StageTimings | undefined;
  /** The decision record, when this request is explained (debug token) or shadow-evaluated. */
  explain: DecisionRecord | undefined;
  /** The gateway error that ended the request, if one did (respond sets it). */
  error: GatewayError | undefined;
  /** The backend's status as it answered (before integration responses map it). */
  integrationStatus: number | undefined;
  /** Milliseconds the authorizer took, when one ran. */
  authorizerLatencyMs: number | undefined;
  /** Token buckets (and the quota) this request was checked against. */
  throttleChecks = 0;
  /** The candidate version this request is shadow-evaluated against (a sampled request of a stage with a shadow). */
  shadowCandidate: string | undefined;
  /** The custom domain's base path the request matched (`""` for a whole-host mapping); undefined off custom domains. */
  basePathMatched: string | undefined;

  #body: Promise<Uint8Array | null> | undefined;
  /** A shadow copy's body, when the request it copies streamed its own (shadowCopy): readBody refuses. */
  #bodyGone = false;
  #bodyOverLimit = false;
  /** Made only when a body streams through with its limit enforced on the way (most requests never need one). */
  #bodyLimit: AbortController | undefined;

  constructor(request: Request, env: E, exec: ExecutionContext, state: AppState, url?: URL) {
    this.request = request;
    this.env = env;
    this.exec = exec;
    this.state = state;
    this.url = url ?? new URL(request.url);
    this.clientIp = request.headers.get("cf-connecting-ip") ?? "";
  }

  /**
   * A fresh context for the same request, for evaluating another version of it (shadow evaluation): same id, time
   * and caller; the body only if this request already read it — one that streamed to the backend is gone, and
   * reading it makes the copy's `readBody` fail with BodyUnavailableError.
   */
  shadowCopy(): RequestContext<E> {
    const copy = new RequestContext<E>(this.request, this.env, this.exec, this.state, this.url);
    (copy as { requestId: string }).requestId = this.requestId;
    (copy as { receivedAt: number }).receivedAt = this.receivedAt;
    copy.api = this.api;
    copy.stage = this.stage;
    copy.segments = this.segments;
    copy.trailingSlash = this.trailingSlash;
    copy.cacheNamespace = this.cacheNamespace;
    copy.cacheGeneration = this.cacheGeneration;
    if (this.#body) copy.#body = this.#body;
    else copy.#bodyGone = this.request.body !== null;
    return copy;
  }

  /** The path after the stage as matched and forwarded: `/pets/1`. */
  get path(): string {
    return "/" + this.segments.join("/") + (this.trailingSlash && this.segments.length ? "/" : "");
  }

  get maxBodyBytes(): number {
    return this.bundle?.bundle.settings.maxBodyBytes ?? Number.MAX_SAFE_INTEGER;
  }

  /**
   * The whole body, read once and bounded by the API's limit (413 past it, without reading the rest).
   * Only stages that must see the body call this; otherwise it streams through untouched.
   */
  readBody(): Promise<Uint8Array | null> {
    if (this.#bodyGone) return Promise.reject(new BodyUnavailableError());
    this.#body ??= readBounded(this.request.body, this.maxBodyBytes);
    return this.#body;
  }

  /**
   * The request stream with the size limit enforced as it flows. A body with a Content-Length was already held
   * to the limit by its header (and the runtime holds it to the header), so it goes through untouched and the
   * backend still sees its length.
   *
   * A body without one streams to the backend chunked, as it arrives. Past the limit the backend request is
   * aborted before the stream errors, so the upload ends without its final chunk and the connection closes: the
   * backend sees an incomplete request (Node: `req.complete` false, an `aborted` error), never a complete one with
   * a truncated body, and the client gets 413. Nothing past the limit is read or sent. (docs/security.md)
   */
  #boundedStream(): ReadableStream<Uint8Array> | null {
    if (!this.request.body) return null;
    if (this.request.headers.has("content-length")) return this.request.body;
    const limit = this.maxBodyBytes;
    const abort = (this.#bodyLimit = new AbortController());
    const reader = this.request.body.getReader();
    let seen = 0;
    // Pulled by hand rather than piped through a TransformStream: an errored pipe leaves a rejected promise no
    // one awaits, which the runtime reports as an uncaught exception on every over-limit upload.
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        seen += value.byteLength;
        if (seen > limit) {
          this.#bodyOverLimit = true;
          // Abort the backend request first: an errored stream alone can end the upload as if it were complete,
          // and the backend would act on a truncated body.
          abort.abort();
          await reader.cancel().catch(() => {});
          // Never settles: the aborted fetch cancels this stream. Erroring it instead would leave the runtime's
          // upload pump with a rejection no one can catch (logged as an uncaught exception every time).
          return new Promise<void>(() => {});
        }
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
  }

  /** What the integration sends: the bytes when a stage read them, else the bounded stream (never buffered). */
  async bodyForForwarding(): Promise<ReadableStream<Uint8Array> | Uint8Array | null> {
    return this.#body ? this.#body : this.#boundedStream();
  }

  /** True when a streamed body was cut off at the limit (the integration then answers 413). */
  get bodyOverLimit(): boolean {
    return this.#bodyOverLimit;
  }

  /**
   * Aborted when a streamed body passes the limit, so the request carrying it to the backend is abandoned;
   * undefined when no body streams through under a limit.
   */
  get bodyLimitSignal(): AbortSignal | undefined {
    return this.#bodyLimit?.signal;
  }
}

/** A shadow copy asked for a body the live request streamed to its backend without reading. */
export class BodyUnavailableError extends Error {
  constructor() {
    super("the request body streamed to the backend and was not kept");
  }
}

async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | null> {
  if (!body) return null;
  const bytes = await readAtMost(body, limit);
  // Over the limit (or a client that went away mid-body): the body is not forwarded whole, so it is refused.
  if (!bytes) throw new GatewayError("REQUEST_TOO_LARGE");
  return bytes;
}
