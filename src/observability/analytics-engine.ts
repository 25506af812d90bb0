/**
 * Workers Analytics Engine: one data point per request when the `ANALYTICS` binding is present. `writeDataPoint`
 * returns at once (the runtime sends the point in the background): no Durable Object, no awaited I/O.
 *
 * The layout (also in docs/observability.md; the SQL reader, analytics-sql.ts, depends on it — change both together,
 * and only by adding fields at the end):
 *
 * | field | holds |
 * | --- | --- |
 * | index1 | `<api>/<stage>` (sampling is per index, so every stage keeps its own share; ≤ 96 bytes, see indexOf) |
 * | blob1 … blob12 | api, stage, version (full id), role (`stable`/`canary`), route key (`""` none), method, status class (`2xx` …), cache (`HIT`/`MISS`/`BYPASS`/`""`), throttle (`none`/`admitted`/`throttled`/`quota`/`degraded`), auth (`none`/`allowed`/`denied`/`error`/`key-refused`), gateway error type (`""` none), integration type (`""` none) |
 * | double1 … double9 | status, latency ms, integration latency ms (−1 none), degraded decisions, fail-closed refusals, response bytes (−1 unknown), refused (0/1), throttled (0/1), authorizer latency ms (−1 none) |
 */
import { hash32 } from "../deploy/canary.ts";
import type { RequestRecord } from "./record.ts";

/** Analytics Engine's documented limits: 20 blobs, 20 doubles, one index of at most 96 bytes, blobs ≤ 16 KB in all. */
export const LIMITS = { blobs: 20, doubles: 20, indexBytes: 96, blobBytes: 16 * 1024 } as const;
const MAX_BLOB_CHARS = 256;

/** The index for a stage: `<api>/<stage>`, or a shortened form with a hash when that is over 96 bytes. */
export function indexOf(api: string, stage: string): string {
  const full = `${api}/${stage}`;
  // Names are ASCII (their patterns), so characters are bytes.
  if (full.length <= LIMITS.indexBytes) return full;
  return `${api.slice(0, 40)}/${stage.slice(0, 40)}#${hash32(full).toString(16)}`;
}

const blob = (s: string) => (s.length > MAX_BLOB_CHARS ? s.slice(0, MAX_BLOB_CHARS) : s);

export function dataPoint(r: RequestRecord): AnalyticsEngineDataPoint {
  return {
    indexes: [indexOf(r.api, r.stage)],
    blobs: [
      blob(r.api),
      blob(r.stage),
      blob(r.version),
      r.role,
      blob(r.route),
      blob(r.method),
      `${Math.floor(r.status / 100)}xx`,
      r.cache ?? "",
      r.throttle,
      r.auth,
      r.errorType,
      r.integration,
    ],
    doubles: [
      r.status,
      r.latencyMs,
      r.integrationLatencyMs ?? -1,
      r.degraded ?? 0,
      r.failClosed ?? 0,
      r.responseBytes,
      r.refused ? 1 : 0,
      r.throttled ? 1 : 0,
      r.authorizerLatencyMs ?? -1,
    ],
  };
}

/** Writes the request's data point. Never throws: a metrics failure must not fail the request it measures. */
export function writeDataPoint(dataset: AnalyticsEngineDataset, r: RequestRecord): void {
  try {
    dataset.writeDataPoint(dataPoint(r));
  } catch (err) {
    console.error(JSON.stringify({ level: "warn", event: "analytics-write-failed", reason: (err as Error).message }));
  }
}
