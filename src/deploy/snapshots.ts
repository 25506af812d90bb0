/**
 * Configuration snapshots in KV `BUNDLES` (durable-objects/STORAGE.md): what the data plane reads instead of calling
 * a Registry on every memo refresh. The Registry writes one per API (`snapshot:api:<api>`: the stage pointers) and
 * one for the domain index (`snapshot:domains`: mappings and routing rules) after every change, in order, and rewrites them every
 * SNAPSHOT_REFRESH_MS so `writtenAt` stays recent. A snapshot carries the version it shows (the Registry's counter,
 * which only grows) and when it was written; the reader (snapshot-reader.ts) never goes back to a lower version than
 * one it saw, and trusts a snapshot on its own only while it is younger than SNAPSHOT_TRUST_MS.
 */
import type { ServingState, DomainRow, RoutingRow } from "./types.ts";

export const SNAPSHOT_FORMAT = 1;

export const apiSnapshotKey = (api: string) => `snapshot:api:${api}`;
export const DOMAINS_SNAPSHOT_KEY = "snapshot:domains";

/** How often the Registry rewrites an unchanged snapshot, so a healthy one is never older than this (plus KV's delay). */
export const SNAPSHOT_REFRESH_MS = 5 * 60_000;

/**
 * How old a snapshot may be and still be trusted without the Registry: three refresh intervals, so one or two failed
 * writes (and KV's propagation delay of up to 60 s) never send every isolate to the Registry at once. Past it, the
 * Registry must confirm; an isolate that never served the API answers 503 when it cannot. This is also the longest a
 * fresh isolate can serve an outdated version in a double fault: KV failing to take a newer version while the
 * Registry is down (see docs/security.md).
 */
export const SNAPSHOT_TRUST_MS = 3 * SNAPSHOT_REFRESH_MS;

export interface Snapshot<T> {
  format: typeof SNAPSHOT_FORMAT;
  /** The Registry's version counter when written: every change increases it. */
  version: number;
  /** When the Registry wrote it (ms since epoch); rewritten every SNAPSHOT_REFRESH_MS even when nothing changed. */
  writtenAt: number;
  value: T;
}

/** The domain index's value: every mapping and every host's routing rules (small enough for an isolate to hold whole). */
export interface DomainTable {
  domains: DomainRow[];
  /**
   * Routing rules by host, each owned by one API. Absent from an index (or a snapshot) that predates routing rules
   * in the index, which held none: read as none.
   */
  routing?: RoutingRow[];
  /** Every API the index has a sync from (every API ever published); absent likewise: read as none. */
  apis?: string[];
}

export type ApiSnapshot = Snapshot<ServingState>;
export type DomainsSnapshot = Snapshot<DomainTable>;

/** A snapshot's text, or undefined (logged by the caller) when it is not one: a KV value is checked, never trusted blindly. */
export function parseSnapshot<T>(text: string, isValue: (value: unknown) => value is T): Snapshot<T> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const s = parsed as Partial<Snapshot<unknown>> | null;
  if (!s || typeof s !== "object" || s.format !== SNAPSHOT_FORMAT) return undefined;
  if (!Number.isSafeInteger(s.version) || s.version! < 0 || !Number.isFinite(s.writtenAt) || !isValue(s.value)) return undefined;
  return s as Snapshot<T>;
}

export const isServingState = (v: unknown): v is ServingState => {
  const s = v as ServingState | null;
  return !!s && typeof s === "object" && typeof s.api === "string" && Number.isSafeInteger(s.version) && !!s.stages && typeof s.stages === "object" && !Array.isArray(s.stages);
};

export const isDomainTable = (v: unknown): v is DomainTable => {
  const t = v as DomainTable | null;
  return (
    !!t &&
    typeof t === "object" &&
    Array.isArray(t.domains) &&
    t.domains.every((d) => !!d && typeof d.host === "string" && typeof d.basePath === "string" && typeof d.api === "string" && typeof d.stage === "string") &&
    (t.routing === undefined || (Array.isArray(t.routing) && t.routing.every(isRoutingRow))) &&
    (t.apis === undefined || (Array.isArray(t.apis) && t.apis.every((a) => typeof a === "string")))
  );
};

const ROUTING_MODES: readonly unknown[] = ["API_MAPPING_ONLY", "ROUTING_RULE_ONLY", "ROUTING_RULE_THEN_API_MAPPING"];
const isStringList = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");

/** Checked down to every rule: a rule the data plane misreads could route a request to the wrong API or stage. */
function isRoutingRow(v: unknown): v is RoutingRow {
  const r = v as RoutingRow | null;
  return (
    !!r &&
    typeof r === "object" &&
    typeof r.host === "string" &&
    typeof r.api === "string" &&
    ROUTING_MODES.includes(r.routingMode) &&
    Array.isArray(r.rules) &&
    r.rules.every(
      (rule) =>
        !!rule &&
        typeof rule === "object" &&
        Number.isSafeInteger(rule.priority) &&
        Array.isArray(rule.headers) &&
        rule.headers.every((h) => !!h && typeof h.header === "string" && typeof h.valueGlob === "string") &&
        isStringList(rule.basePaths) &&
        (rule.apiId === null || typeof rule.apiId === "string") &&
        typeof rule.stage === "string" &&
        typeof rule.stripBasePath === "boolean",
    )
  );
}
