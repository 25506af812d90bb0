/** The admin API's observability routes in its OpenAPI document: metrics, the time series, shadow evaluation, the dashboard's sign-in. */

const json = (schema: Record<string, unknown>) => ({ content: { "application/json": { schema } } });
const apiParam = { name: "api", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$" } };
const stageParam = { name: "stage", in: "path", required: true, schema: { type: "string" } };
const error = { description: "Invalid input, unknown API or stage, a conflict, or the metrics source failing (503).", ...json({ $ref: "#/components/schemas/Error" }) };
const errors = { "400": error, "401": error, "404": error, "409": error, "503": error };

export const OBSERVABILITY_PATHS: Record<string, unknown> = {
  "/apis/{api}/stages/{stage}/metrics": {
    get: {
      summary: "Per-version metrics over recent minutes: count, 4xx, 5xx, throttled, refused, cache hits and misses, latency and integration latency percentiles",
      description: "`source` says where they were read: `analytics-engine` (the SQL API) or `local` (the batched store in the Registry).",
      parameters: [apiParam, stageParam, { name: "minutes", in: "query", schema: { type: "integer", default: 15, minimum: 1, maximum: 1440 } }],
      responses: { "200": { description: "Metrics by version.", ...json({ type: "object" }) }, ...errors },
    },
  },
  "/apis/{api}/stages/{stage}/metrics/series": {
    get: {
      summary: "Per-version time series: counts and p50/p99 per step (the dashboard's charts)",
      parameters: [
        apiParam,
        stageParam,
        { name: "minutes", in: "query", schema: { type: "integer", default: 60, minimum: 1, maximum: 1440 } },
        { name: "step", in: "query", schema: { type: "integer", minimum: 10, description: "Seconds per point, a multiple of 10; at most 500 points." } },
      ],
      responses: { "200": { description: "`versions`: [{version, role, points: [{t, count, c4xx, c5xx, p50, p99, integrationP50, integrationP99, cacheHits, cacheMisses, throttled, refused}]}].", ...json({ type: "object" }) }, ...errors },
    },
  },
  "/apis/{api}/stages/{stage}/shadow": {
    post: {
      summary: "Start shadow evaluation of a published version on a sample of the stage's requests (its report starts empty)",
      parameters: [apiParam, stageParam],
      requestBody: json({ type: "object", required: ["deploymentId", "percent"], properties: { deploymentId: { type: "string" }, percent: { type: "number", minimum: 0.01, maximum: 100 } } }),
      responses: { "201": { description: "The stage, with its shadow.", ...json({ type: "object" }) }, ...errors },
    },
    get: { summary: "The shadow report: evaluated and differing requests, differences by kind with samples, what was skipped", parameters: [apiParam, stageParam], responses: { "200": { description: "The report.", ...json({ type: "object" }) }, ...errors } },
    delete: { summary: "Stop shadow evaluation (the report stays until the next start)", parameters: [apiParam, stageParam], responses: { "200": { description: "The stage.", ...json({ type: "object" }) }, ...errors } },
  },
  "/": { get: { summary: "The dashboard: redirects to the page at `/_portico/` (public: it holds no data until signed in)", security: [], responses: { "301": { description: "To the page." } } } },
  "/dashboard.js": { get: { summary: "The dashboard's script (served under the dashboard's Content-Security-Policy)", security: [], responses: { "200": { description: "JavaScript." } } } },
  "/dashboard.css": { get: { summary: "The dashboard's stylesheet", security: [], responses: { "200": { description: "CSS." } } } },
  "/session": {
    post: {
      summary: "The dashboard's sign-in: the admin token in the body; answers with an HttpOnly session cookie (requests using it must send x-portico-dashboard: 1)",
      security: [],
      requestBody: json({ type: "object", required: ["token"], properties: { token: { type: "string" } } }),
      responses: { "200": { description: "Signed in." }, "401": error },
    },
    delete: { summary: "Sign out (clears the cookie)", security: [], responses: { "200": { description: "Signed out." } } },
  },
};
