/**
 * Route keys as users write them: `GET /pets/{id}`, `ANY /{proxy+}`, `$default`. Parsing is pure and shared by
 * the compiler (which reports errors with field paths) and the router (which trusts compiled bundles).
 */
import { HTTP_METHODS, type RouteMethod } from "../config/types.ts";

export type Segment =
  | { kind: "static"; value: string }
  | { kind: "param"; name: string }
  | { kind: "greedy"; name: string };

export interface ParsedRouteKey {
  method: RouteMethod;
  /** Normalised path template (`/pets/{id}`), or `$default`. */
  path: string;
  segments: Segment[];
}

export const DEFAULT_ROUTE = "$default";
const METHODS: readonly string[] = [...HTTP_METHODS, "ANY"];
// Amazon's path part characters, less ';' (refused in request paths, see path.ts).
const STATIC_SEGMENT = /^[A-Za-z0-9._~!$&'()*+,=:@-]+$/;
const PARAM_NAME = /^[A-Za-z0-9_.-]+$/;

export function parseRouteKey(key: string): ParsedRouteKey | { error: string } {
  const trimmed = key.trim();
  if (trimmed === DEFAULT_ROUTE) return { method: "ANY", path: DEFAULT_ROUTE, segments: [] };
  const match = /^(\S+)\s+(\S+)$/.exec(trimmed);
  if (!match) return { error: "route key must be `METHOD /path` (e.g. `GET /pets/{id}`) or `$default`" };
  const method = match[1]!.toUpperCase();
  const rawPath = match[2]!;
  if (!METHODS.includes(method)) return { error: `unknown method "${match[1]}": use one of ${METHODS.join(", ")}` };
  if (!rawPath.startsWith("/")) return { error: "path must start with /" };
  const parts = rawPath.split("/").filter((p) => p !== "");
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const param = /^\{([^{}]*?)(\+?)\}$/.exec(part);
    if (param) {
      const name = param[1]!;
      if (!PARAM_NAME.test(name)) return { error: `invalid parameter name "{${name}}"` };
      if (names.has(name)) return { error: `parameter {${name}} appears twice` };
      names.add(name);
      if (param[2]) {
        if (i !== parts.length - 1) return { error: `greedy parameter {${name}+} must be the last segment` };
        segments.push({ kind: "greedy", name });
      } else segments.push({ kind: "param", name });
    } else if (STATIC_SEGMENT.test(part)) {
      segments.push({ kind: "static", value: part });
    } else {
      return { error: `invalid path segment "${part}"` };
    }
  }
  return { method: method as RouteMethod, path: templatePath(segments), segments };
}

export function templatePath(segments: Segment[]): string {
  return "/" + segments.map((s) => (s.kind === "static" ? s.value : s.kind === "param" ? `{${s.name}}` : `{${s.name}+}`)).join("/");
}

/** Names of a route's path parameters, in order. */
export function parameterNames(segments: Segment[]): string[] {
  return segments.flatMap((s) => (s.kind === "static" ? [] : [s.name]));
}
